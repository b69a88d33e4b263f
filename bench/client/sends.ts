/** What bench/client.ts and its client process agree on for the client → server sends (sections 3 and 4). */

/** Client → server sends in flight at once. */
export const IN_FLIGHT = 20;
/** The chat.send text that the bench server's handler only counts. */
export const COUNT_ME = JSON.stringify({ mode: 'count' });
/** The ui.action component the bench server's handler only counts. */
export const COUNT_UI = 'count';

/**
 * Section 3 times two client messages: `ui.action` declares no reply, so an acknowledged send
 * resolves on the server's acknowledgement (C3); `chat.send` declares `chat.accepted` as its reply
 * (C4), so it resolves on that reply — and its fire-and-forget frames are answered too (with an
 * unnumbered reply), so the server does the same work either way.
 */
export type SendMessage = 'ui.action' | 'chat.send';
export const SEND_MESSAGES: readonly SendMessage[] = ['ui.action', 'chat.send'];

/** The payload each counted send carries. */
export function countedPayload(message: SendMessage): Record<string, unknown> {
  return message === 'chat.send' ? { conversation_id: 'bench', text: COUNT_ME } : { view_id: 'bench', component_id: COUNT_UI, action: 'click' };
}
