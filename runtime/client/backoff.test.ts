/**
 * Reconnect delays: exponential caps up to maxMs, full jitter in [0, cap), reset after a
 * successful connection, and a seeded PRNG that replays the same sequence.
 */
import { describe, expect, it } from 'vitest';
import { createBackoff, seededRandom } from './backoff.js';

describe('createBackoff', () => {
  it('raises the cap by the factor on each attempt, up to maxMs (random = just under 1 shows the cap)', () => {
    const b = createBackoff({ initialMs: 100, maxMs: 1000, random: () => 0.999999 });
    const delays = Array.from({ length: 8 }, () => b.next());
    // floor(0.999999 * cap) = cap - 1: the delay is always strictly below its cap.
    expect(delays).toEqual([99, 199, 399, 799, 999, 999, 999, 999]);
    expect(b.attempts).toBe(8);
  });

  it('honours a custom factor and the defaults (250 ms first cap, 10 s largest)', () => {
    const b = createBackoff({ initialMs: 10, maxMs: 100, factor: 3, random: () => 0.999999 });
    expect(Array.from({ length: 4 }, () => b.next())).toEqual([9, 29, 89, 99]);
    const d = createBackoff({ random: () => 0.999999 });
    const delays = Array.from({ length: 10 }, () => d.next());
    expect(delays[0]).toBe(249);
    expect(delays[9]).toBe(9999);
  });

  it('full jitter: every delay is an integer in [0, cap) and the spread covers the range', () => {
    const random = seededRandom(7);
    const b = createBackoff({ initialMs: 50, maxMs: 400, random });
    const caps = [50, 100, 200, 400, 400, 400];
    const seen: number[] = [];
    for (let round = 0; round < 500; round++) {
      b.reset();
      for (const cap of caps) {
        const d = b.next();
        expect(Number.isInteger(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(cap);
        if (cap === 400) seen.push(d);
      }
    }
    // Full jitter, not "cap plus a little": low and high delays both occur.
    expect(Math.min(...seen)).toBeLessThan(40);
    expect(Math.max(...seen)).toBeGreaterThan(360);
  });

  it('random() = 0 gives 0 ms (a full-jitter delay may be immediate)', () => {
    const b = createBackoff({ initialMs: 100, random: () => 0 });
    expect([b.next(), b.next(), b.next()]).toEqual([0, 0, 0]);
  });

  it('reset() goes back to the first cap', () => {
    const b = createBackoff({ initialMs: 10, maxMs: 10_000, random: () => 0.999999 });
    b.next();
    b.next();
    b.next();
    expect(b.attempts).toBe(3);
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.next()).toBe(9);
  });

  it('never overflows to NaN or Infinity after very many attempts', () => {
    const b = createBackoff({ initialMs: 5, maxMs: 50, random: () => 0.5 });
    let last = 0;
    for (let i = 0; i < 5000; i++) last = b.next();
    expect(last).toBe(25);
  });
});

describe('seededRandom (mulberry32)', () => {
  it('is reproducible: the same seed gives the same sequence', () => {
    const a = seededRandom(12345);
    const b = seededRandom(12345);
    const xs = Array.from({ length: 100 }, () => a());
    const ys = Array.from({ length: 100 }, () => b());
    expect(xs).toEqual(ys);
  });

  it('different seeds give different sequences', () => {
    const a = seededRandom(1);
    const b = seededRandom(2);
    expect(Array.from({ length: 10 }, () => a())).not.toEqual(Array.from({ length: 10 }, () => b()));
  });

  it('stays in [0, 1) and is roughly uniform', () => {
    const r = seededRandom(0xdeadbeef);
    const buckets = new Array<number>(10).fill(0);
    let outside = 0;
    for (let i = 0; i < 20_000; i++) {
      const x = r();
      if (!(x >= 0 && x < 1)) outside++;
      else buckets[Math.floor(x * 10)]!++;
    }
    expect(outside).toBe(0);
    for (const n of buckets) expect(n).toBeGreaterThan(1700); // 2000 expected per bucket
  });

  it('accepts any number as a seed (taken as an unsigned 32-bit integer)', () => {
    expect(seededRandom(-1)()).toBe(seededRandom(0xffffffff)());
    expect(seededRandom(2 ** 32 + 5)()).toBe(seededRandom(5)());
  });

  it('drives createBackoff reproducibly', () => {
    const run = (seed: number) => {
      const b = createBackoff({ initialMs: 5, maxMs: 50, random: seededRandom(seed) });
      return Array.from({ length: 20 }, () => b.next());
    };
    expect(run(99)).toEqual(run(99));
  });
});
