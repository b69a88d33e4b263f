import { describe, expect, it } from 'vitest';
import { createReplayRing } from './replay-ring.js';

const push = (ring: ReturnType<typeof createReplayRing>, from: number, to: number, bytes = 10): void => {
  for (let seq = from; seq <= to; seq++) ring.push(seq, `f${seq}`, bytes);
};

describe('replay ring (R3)', () => {
  it('starts empty: earliest is latest + 1', () => {
    const ring = createReplayRing({ maxMessages: 4, maxBytes: 100 });
    expect([ring.size, ring.latestSeq, ring.earliestSeq, ring.framesAfter(0)]).toEqual([0, 0, 1, []]);
  });

  it('keeps the newest maxMessages frames and finds any held seq in O(1)', () => {
    const ring = createReplayRing({ maxMessages: 4, maxBytes: 1000 });
    push(ring, 1, 10);
    expect([ring.size, ring.earliestSeq, ring.latestSeq]).toEqual([4, 7, 10]);
    expect(ring.get(6)).toBeUndefined();
    expect([ring.get(7), ring.get(10)]).toEqual(['f7', 'f10']);
    expect(ring.framesAfter(8)).toEqual(['f9', 'f10']);
    expect(ring.framesAfter(6)).toEqual(['f7', 'f8', 'f9', 'f10']);
  });

  it('is bounded by bytes too, and never drops the frame just pushed', () => {
    const ring = createReplayRing({ maxMessages: 100, maxBytes: 25 });
    push(ring, 1, 5);
    expect([ring.size, ring.bytes, ring.earliestSeq]).toEqual([2, 20, 4]);
    ring.push(6, 'big', 40); // larger than the bound: alone in the ring
    expect([ring.size, ring.earliestSeq, ring.framesAfter(5)]).toEqual([1, 6, ['big']]);
  });

  it('refuses a seq that is not the next one (gap-free, Q2)', () => {
    const ring = createReplayRing({ maxMessages: 4, maxBytes: 100 });
    ring.push(1, 'a', 1);
    expect(() => ring.push(3, 'c', 1)).toThrow(/gap-free/);
  });

  it('release (Q5) drops everything up to a seq and keeps the rest in order', () => {
    const ring = createReplayRing({ maxMessages: 50, maxBytes: 10_000 });
    push(ring, 1, 30);
    ring.release(12);
    expect([ring.size, ring.earliestSeq, ring.bytes]).toEqual([18, 13, 180]);
    push(ring, 31, 40);
    expect(ring.framesAfter(37)).toEqual(['f38', 'f39', 'f40']);
    ring.release(1000);
    expect([ring.size, ring.earliestSeq, ring.latestSeq]).toEqual([0, 41, 40]);
  });

  it('grows its storage across wrap-around without losing order', () => {
    const ring = createReplayRing({ maxMessages: 1000, maxBytes: 1e9 });
    push(ring, 1, 20);
    ring.release(15); // head moves into the middle of the first 16/32 slots
    push(ring, 21, 300);
    expect(ring.framesAfter(15)).toEqual(Array.from({ length: 285 }, (_, i) => `f${i + 16}`));
  });
});
