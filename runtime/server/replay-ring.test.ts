import { describe, expect, it } from 'vitest';
import { createReplayRing, type ReplayRing } from './replay-ring.js';

const put = (ring: ReplayRing, seq: number, frame: string): void => ring.push(seq, frame, Buffer.byteLength(frame, 'utf8'));

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

  it('agrees with a plain array of strings under random pushes, releases and bounds', () => {
    let state = 7;
    const rand = (n: number): number => ((state = (state * 1103515245 + 12345) % 2 ** 31), state % n);
    const alphabet = ['a', 'é', '日', '👋', '"', '\\n'];
    for (let round = 0; round < 20; round++) {
      const maxMessages = 1 + rand(40);
      const maxBytes = 1 + rand(600);
      const ring = createReplayRing({ maxMessages, maxBytes });
      const model: { seq: number; frame: string; bytes: number }[] = [];
      let latest = 0;
      for (let step = 0; step < 400; step++) {
        if (rand(5) === 0 && latest > 0) {
          const upto = latest - rand(10);
          ring.release(upto);
          while (model.length > 0 && model[0]!.seq <= upto) model.shift();
        } else {
          const frame = Array.from({ length: rand(60) }, () => alphabet[rand(alphabet.length)]).join('');
          const bytes = Buffer.byteLength(frame);
          latest++;
          while (model.length > 0 && (model.length >= maxMessages || model.reduce((n, m) => n + m.bytes, 0) + bytes > maxBytes)) model.shift();
          model.push({ seq: latest, frame, bytes });
          put(ring, latest, frame);
        }
        expect(ring.size).toBe(model.length);
        expect(ring.earliestSeq).toBe(model[0]?.seq ?? latest + 1);
        if (model.length > 0 && rand(3) === 0) {
          const m = model[rand(model.length)]!; // written or still pending
          expect(ring.get(m.seq)).toBe(m.frame);
        }
      }
      expect(ring.framesAfter(ring.earliestSeq - 1)).toEqual(model.map((m) => m.frame));
      expect(ring.bytes).toBe(model.reduce((n, m) => n + m.bytes, 0));
      for (const m of model) expect(ring.get(m.seq)).toBe(m.frame);
    }
  });
});
