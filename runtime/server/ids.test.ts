import { describe, expect, it } from 'vitest';
import { createIdSequence } from './ids.js';

describe('createIdSequence (hand-off ids, C2)', () => {
  it('never repeats an id, within a sequence or across sequences (one per store, in any process)', () => {
    const a = createIdSequence(96);
    const b = createIdSequence(96);
    const ids = [...Array.from({ length: 1000 }, a), ...Array.from({ length: 1000 }, b)];
    expect(new Set(ids).size).toBe(2000);
    expect(ids[0]!.split('.')[0]).not.toBe(ids[1000]!.split('.')[0]);
  });
});
