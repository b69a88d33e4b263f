/**
 * C4: what a chat.send handler of the canonical contract returns — the chat.accepted payload, the
 * ids the server assigned. The suites' handlers share this one builder: the ids follow from the
 * frame's cseq (`m-<cseq>`, `t-<cseq>`), so a test can say which reply answers which send. A frame
 * without cseq (a kernel 1.1 client) gets ids from a counter. Child processes import it too, so
 * nothing here imports vitest.
 */
import type { ChatAccepted, ChatSend } from '../../generated/types.js';

let unnumbered = 0;

/** The chat.accepted payload answering `message`. */
export function accepted(message: Pick<ChatSend, 'header' | 'payload'>): ChatAccepted['payload'] {
  const id = message.header.cseq ?? `u${++unnumbered}`;
  return { conversation_id: message.payload.conversation_id, message_id: `m-${id}`, turn_id: `t-${id}` };
}
