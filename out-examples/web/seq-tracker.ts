/**
 * What both example clients show about the stream: the last seq, gaps (there should be none:
 * the generated client delivers seq after seq, Q4) and, after each resume, a line such as
 * "resumed from seq 41, replayed 14 messages (seq 42..55), no gaps". Browser-safe: the page and
 * the terminal client both use it.
 */
import type { AgentUiClient } from '../../generated/client.js';

export interface SeqTracker {
  /** Call with the seq of every data message, in delivery order. */
  data(seq: number): void;
  readonly lastSeq: number;
  readonly received: number;
  readonly gaps: number;
}

export function createSeqTracker(client: AgentUiClient, report: (line: string, ok: boolean) => void): SeqTracker {
  let lastSeq = 0;
  let received = 0;
  let gaps = 0;
  /** The replay in progress after a protocol.resumed: the seqs after `after` up to `latest`. */
  let replay: { after: number; latest: number; count: number; gapsBefore: number } | undefined;

  const finish = (): void => {
    const r = replay!;
    replay = undefined;
    const range = r.count > 0 ? ` (seq ${r.after + 1}..${r.after + r.count})` : '';
    const clean = gaps === r.gapsBefore;
    report(`resumed from seq ${r.after}, replayed ${r.count} messages${range}, ${clean ? 'no gaps' : 'GAP!'}`, clean);
  };

  // R2: protocol.resumed says which seqs the replay holds; they follow it, in order.
  client.on.protocolResumed((m) => {
    replay = { after: m.payload.from_seq - 1, latest: m.payload.latest_seq, count: 0, gapsBefore: gaps };
    if (m.payload.latest_seq < m.payload.from_seq) finish();
  });
  client.onEvent((e) => {
    if (e.kind === 'session' && !e.resumed) lastSeq = 0; // a new session starts at seq 1 (Q2)
  });

  return {
    data(seq) {
      if (seq !== lastSeq + 1) {
        gaps++;
        report(`gap: seq ${seq} after ${lastSeq}`, false);
      }
      lastSeq = seq;
      received++;
      if (replay) {
        replay.count++;
        if (seq === replay.latest) finish();
      }
    },
    get lastSeq() {
      return lastSeq;
    },
    get received() {
      return received;
    },
    get gaps() {
      return gaps;
    },
  };
}
