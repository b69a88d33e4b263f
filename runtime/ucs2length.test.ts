import { describe, expect, it } from 'vitest';
import { ucs2length } from './ucs2length.js';

describe('ucs2length', () => {
  it.each([
    ['', 0],
    ['abc', 3],
    ['héllo', 5],
    ['日本語', 3],
    ['\u{1F600}', 1],
    ['a\u{1F600}b\u{1F680}', 4],
    ['\u{10FFFF}'.repeat(10), 10],
  ] as const)('%j has %i code points', (text, expected) => {
    expect(ucs2length(text)).toBe(expected);
    expect(ucs2length(text)).toBe([...text].length);
  });

  it('counts a lone high surrogate at the end as one', () => {
    expect(ucs2length('a\ud83d')).toBe(2);
  });

  it('counts a high surrogate followed by a non-surrogate as two characters', () => {
    expect(ucs2length('\ud83dA')).toBe(2);
  });

  it('counts a lone low surrogate as one', () => {
    expect(ucs2length('\ude00x')).toBe(2);
  });

  it('counts two high surrogates in a row as two', () => {
    expect(ucs2length('\ud83d\ud83d')).toBe(2);
  });

  it('agrees with code point iteration on long mixed text', () => {
    const text = 'x\u{1F600}é日'.repeat(5000);
    expect(ucs2length(text)).toBe(20000);
  });
});
