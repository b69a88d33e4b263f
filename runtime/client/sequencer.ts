/**
 * Q4: a client delivers data in seq order exactly once. A seq at or below the last one seen is
 * a duplicate (dropped); one above last + 1 is a gap (the client resumes from the last seen).
 */

export type SeqVerdict = 'deliver' | 'duplicate' | 'gap';

export interface Sequencer {
  /** The last seq delivered (0 before the first): the resume cursor (R4). */
  readonly lastSeen: number;
  /** Classifies a data frame's seq and, when it is the next one, advances. */
  accept(seq: number): SeqVerdict;
  /** A heartbeat or resumed frame says the server is at `latestSeq`: is anything missing? */
  behind(latestSeq: number): boolean;
  /** Start over for a new session. */
  reset(lastSeen?: number): void;
}

export function createSequencer(initial = 0): Sequencer {
  let lastSeen = initial;
  return {
    get lastSeen() {
      return lastSeen;
    },
    accept(seq) {
      if (seq <= lastSeen) return 'duplicate';
      if (seq > lastSeen + 1) return 'gap';
      lastSeen = seq;
      return 'deliver';
    },
    behind(latestSeq) {
      return latestSeq > lastSeen;
    },
    reset(value = 0) {
      lastSeen = value;
    },
  };
}
