/**
 * C2 over a connection: when a `protocol.received` goes out. Frames a client writes together are
 * read together, so one acknowledgement per tick and session, with the highest cseq accepted,
 * covers them all (C2.1). It goes earlier when a data frame is about to go out, so a send has
 * resolved when its handler's data arrives — but not ahead of a reply (C4), which settles every
 * send up to the cseq it names itself (flushing ahead of each reply sent a protocol.received per
 * send); the waiting acknowledgement still goes this tick. Nothing is acknowledged here that the
 * store has not accepted: `accepted` is called once the store's answer raised the session's
 * `acked`, and the acknowledgement reads `acked` when it is sent.
 *
 * Acknowledging part-way through a read (after the first k frames, so that a client awaiting
 * each of a few sends refills its window while the server handles the rest) was measured against
 * this on the 2-core machine the benchmarks run on and lost: each extra acknowledgement is a
 * write that wakes an idle peer, which cost more than the overlap bought.
 */
import { receivedFrame, type Frame } from '../frames.js';
import type { Attachment } from './server-core.js';
import { isReply, type LocalSession } from './session-binding.js';

export interface AckScheduler {
  /** C2: the store accepted (or acknowledged again) a frame of `session` that arrived on `attachment`: acknowledged by the end of this tick. */
  accepted(session: LocalSession, attachment: Attachment): void;
  /** C2: a data frame of `session` is about to go out: a waiting acknowledgement goes first, unless the frame is a reply (C4). */
  beforeData(session: LocalSession, frame: string): void;
}

export function createAckScheduler(options: { readonly sendControl: (attachment: Attachment, frame: Frame) => void }): AckScheduler {
  const { sendControl } = options;
  // Sessions with an acknowledgement due this tick, and the attachment their frames came on.
  const due = new Map<LocalSession, Attachment>();
  const ack = (session: LocalSession, attachment: Attachment): void => {
    if (session.attachment === attachment) sendControl(attachment, receivedFrame(session.id, session.acked));
  };
  const endOfTick = (): void => {
    const all = [...due];
    due.clear();
    for (const [session, attachment] of all) ack(session, attachment);
  };
  return {
    accepted(session, attachment) {
      if (due.size === 0) process.nextTick(endOfTick);
      due.set(session, attachment);
    },
    beforeData(session, frame) {
      const attachment = due.get(session);
      if (!attachment || isReply(frame)) return;
      due.delete(session);
      ack(session, attachment);
    },
  };
}
