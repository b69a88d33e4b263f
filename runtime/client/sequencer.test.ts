/**
 * Q4: the client sequencer — deliver the next seq, drop duplicates, flag gaps, tell from a
 * heartbeat's latest_seq whether the tail was lost, and start over for a new session.
 */
import { describe, expect, it } from 'vitest';
import { createSequencer } from './sequencer.js';

describe('createSequencer (Q4)', () => {
  it('starts at 0 and delivers 1, 2, 3 in order, advancing lastSeen', () => {
    const s = createSequencer();
    expect(s.lastSeen).toBe(0);
    expect([1, 2, 3].map((n) => s.accept(n))).toEqual(['deliver', 'deliver', 'deliver']);
    expect(s.lastSeen).toBe(3);
  });

  it('drops a seq at or below lastSeen as a duplicate without moving the cursor', () => {
    const s = createSequencer();
    s.accept(1);
    s.accept(2);
    expect(s.accept(2)).toBe('duplicate');
    expect(s.accept(1)).toBe('duplicate');
    expect(s.accept(0)).toBe('duplicate');
    expect(s.lastSeen).toBe(2);
  });

  it('reports a gap for a seq above lastSeen + 1 and does not advance, so a resume starts from lastSeen', () => {
    const s = createSequencer();
    s.accept(1);
    expect(s.accept(3)).toBe('gap');
    expect(s.lastSeen).toBe(1);
    expect(s.accept(1000)).toBe('gap');
    expect(s.lastSeen).toBe(1);
    // The missing one, then the one that had arrived early, are delivered on the replay.
    expect(s.accept(2)).toBe('deliver');
    expect(s.accept(3)).toBe('deliver');
    expect(s.lastSeen).toBe(3);
  });

  it('behind(latestSeq) is true exactly when the server has seqs the client has not seen', () => {
    const s = createSequencer();
    expect(s.behind(0)).toBe(false);
    expect(s.behind(1)).toBe(true);
    s.accept(1);
    expect(s.behind(1)).toBe(false);
    expect(s.behind(0)).toBe(false); // an older heartbeat is not a loss
    expect(s.behind(2)).toBe(true);
  });

  it('reset() starts over (a new session starts at seq 1); reset(n) and the initial value set the cursor', () => {
    const s = createSequencer();
    for (let i = 1; i <= 5; i++) s.accept(i);
    s.reset();
    expect(s.lastSeen).toBe(0);
    expect(s.accept(1)).toBe('deliver');
    s.reset(41);
    expect(s.lastSeen).toBe(41);
    expect(s.accept(41)).toBe('duplicate');
    expect(s.accept(42)).toBe('deliver');
    const t = createSequencer(10);
    expect(t.lastSeen).toBe(10);
    expect(t.accept(10)).toBe('duplicate');
    expect(t.accept(11)).toBe('deliver');
  });
});
