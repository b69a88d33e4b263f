/**
 * frameParts/stamp: the frame a store keeps and sends is valid JSON with the envelope the contract
 * says, and `bytes` is its UTF-8 size — on the fast path (plain type and session id) and off it.
 */
import { describe, expect, it } from 'vitest';
import { frameParts, stamp } from './store.js';

const cases: [string, string, unknown][] = [
  ['agent.event', 'AbCdEf0123456789_-xyzQ', { text: 'plain' }],
  ['ui.render', 'A'.repeat(22), { text: 'naïve – 日本語 😀' }],
  ['weird"type', 'id\\with"quotes', { n: 1 }],
  ['tÿpe', 'sëssion', { s: '\u2028' }],
  ['', '', {}],
];

describe('frameParts and stamp', () => {
  it.each(cases)('%s / %s: parses to the envelope with the seq, and bytes is the UTF-8 length', (type, sessionId, payload) => {
    const parts = frameParts(type, sessionId, JSON.stringify(payload));
    for (const seq of [1, 42, 9007199254740991]) {
      const { frame, bytes } = stamp(parts, seq);
      expect(JSON.parse(frame)).toEqual({ type, header: { session_id: sessionId, seq }, payload });
      expect(bytes).toBe(Buffer.byteLength(frame, 'utf8'));
    }
  });
});
