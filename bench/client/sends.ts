/** What bench/client.ts and its client process agree on for the client → server sends (sections 3 and 4). */

/** Client → server sends in flight at once. */
export const IN_FLIGHT = 20;
/** The chat.send text that the bench server's handler only counts. */
export const COUNT_ME = JSON.stringify({ mode: 'count' });
