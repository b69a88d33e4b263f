import { describe, expect, it } from 'vitest';
import { isReply } from './session-binding.js';
import { frameParts, stamp } from './store.js';

describe('isReply (C4)', () => {
  const frame = (type: string, sessionId: string, payload: unknown, cseq?: number): string => stamp(frameParts(type, sessionId, JSON.stringify(payload), cseq), 7).frame;

  it('is true for a data frame whose header names a cseq, as frameParts writes it', () => {
    expect(isReply(frame('chat.accepted', 'q3Jt0Yz8uVbK2mXw5LcP9a', { message_id: 'm' }, 3))).toBe(true);
    expect(isReply(frame('odd "type"', 'odd,"cseq":1', { a: 1 }, 12))).toBe(true);
  });

  it('is false for one without, whatever its payload or names say', () => {
    expect(isReply(frame('agent.event', 'q3Jt0Yz8uVbK2mXw5LcP9a', { text: ',"cseq":4,"seq":5' }))).toBe(false);
    expect(isReply(frame('x,"cseq":1,"seq":2', 'a,"cseq":1', { cseq: 1 }))).toBe(false);
  });
});
