/**
 * The session limiter (L2): a total per process, a count per client key, a per-second budget for
 * new sessions with one second of burst — each refused with its status and retry hint — and
 * places given back when sessions end.
 */
import { describe, expect, it } from 'vitest';
import { createSessionLimiter } from './session-limiter.js';

const clock = () => {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
};

describe('createSessionLimiter', () => {
  it('admits up to maxSessions in total, then refuses with 503; a release makes room', () => {
    const l = createSessionLimiter({ maxSessions: 3, maxSessionsPerClient: 10, maxSessionsPerSecond: 100 });
    expect(['a', 'b', 'c'].map((k) => l.admit(k, true))).toEqual([undefined, undefined, undefined]);
    expect(l.admit('d', true)).toMatchObject({ status: 503, retryAfterS: 5 });
    expect([l.size, l.clients]).toEqual([3, 3]);
    l.release('b');
    expect(l.admit('d', true)).toBeUndefined();
  });

  it('admits up to maxSessionsPerClient per key (429), others unaffected; the count per key goes when its last session does', () => {
    const l = createSessionLimiter({ maxSessions: 100, maxSessionsPerClient: 2, maxSessionsPerSecond: 100 });
    l.admit('a', true);
    l.admit('a', false);
    expect(l.admit('a', true)).toMatchObject({ status: 429 });
    expect(l.admit('a', false)).toMatchObject({ status: 429 }); // a resume of a session held elsewhere needs room too
    expect(l.admit('b', true)).toBeUndefined();
    l.release('a');
    l.release('a');
    expect(l.clients).toBe(1);
    l.release('a'); // more releases than admits change nothing
    expect(l.size).toBe(1);
  });

  it('spends the per-second budget on fresh sessions only, with one second of burst, refilled continuously', () => {
    const c = clock();
    const l = createSessionLimiter({ maxSessions: 1000, maxSessionsPerClient: 1000, maxSessionsPerSecond: 4 }, c.now);
    for (let i = 0; i < 4; i++) expect(l.admit(`k${i}`, true)).toBeUndefined();
    expect(l.admit('k', true)).toMatchObject({ status: 429, retryAfterS: 1 });
    expect(l.admit('k', false)).toBeUndefined(); // not fresh: no token needed
    c.advance(250); // a quarter second: one token
    expect(l.admit('k', true)).toBeUndefined();
    expect(l.admit('k', true)).toMatchObject({ status: 429 });
    c.advance(60_000); // never more than one second's worth saved up
    for (let i = 0; i < 4; i++) expect(l.admit(`m${i}`, true)).toBeUndefined();
    expect(l.admit('m', true)).toMatchObject({ status: 429 });
  });

  it('a refusal counts nothing', () => {
    const l = createSessionLimiter({ maxSessions: 1, maxSessionsPerClient: 1, maxSessionsPerSecond: 1 });
    l.admit('a', true);
    for (let i = 0; i < 5; i++) l.admit('a', true);
    expect([l.size, l.clients]).toEqual([1, 1]);
  });
});
