/**
 * C1/C3: the client's outbound queue — numbering, what goes on the wire, cumulative
 * acknowledgements (many at a time, past the compaction of its kept frames), and what a lost
 * session rejects.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClientSendError, createOutbound } from './outbound.js';

const cseqs = (frames: readonly { cseq: number }[]): number[] => frames.map((f) => f.cseq);

describe('createOutbound (C1, C3)', () => {
  it('resolves every send up to a cumulative acknowledgement, in cseq order, and keeps the rest', async () => {
    const o = createOutbound();
    const resolved: number[] = [];
    for (let i = 1; i <= 10; i++) void o.add('chat.send', {}, { i }, undefined).then(() => resolved.push(i));
    expect(cseqs(o.unsent())).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    o.acknowledge(4);
    o.acknowledge(3); // an older acknowledgement changes nothing
    await Promise.resolve();
    expect(resolved).toEqual([1, 2, 3, 4]);
    expect(o.acked).toBe(4);
    expect(o.size).toBe(6);
    expect(cseqs(o.unacknowledged(3))).toEqual([5, 6, 7]);
    expect(o.unsent()).toEqual([]); // all written on this connection already
    o.rewind();
    expect(cseqs(o.unsent())).toEqual([5, 6, 7, 8, 9, 10]);
  });

  it('stays exact across many partial acknowledgements of thousands of frames (the kept array compacts)', async () => {
    const o = createOutbound();
    const m = 5_000;
    let resolvedUpTo = 0;
    let outOfOrder = false;
    for (let i = 1; i <= m; i++) {
      void o.add('chat.send', {}, {}, undefined).then(() => {
        if (i !== resolvedUpTo + 1) outOfOrder = true;
        resolvedUpTo = i;
      });
    }
    o.unsent();
    for (let upTo = 7; upTo < m; upTo += 7) {
      o.acknowledge(upTo);
      expect(o.size).toBe(m - upTo);
      expect(o.unacknowledged(1)[0]?.cseq).toBe(upTo + 1);
    }
    await Promise.resolve();
    expect(outOfOrder).toBe(false);
    // A new connection sends the unacknowledged tail again, from acked + 1.
    o.rewind();
    expect(cseqs(o.unsent())).toEqual(Array.from({ length: m - o.acked }, (_, k) => o.acked + 1 + k));
    o.acknowledge(m + 10); // never past what was queued
    expect(o.acked).toBe(m);
    expect(o.size).toBe(0);
    await Promise.resolve();
    expect(resolvedUpTo).toBe(m);
  });

  it('a lost session rejects only what was not acknowledged, saying whether it may have been handled', async () => {
    const o = createOutbound();
    const outcomes: string[] = [];
    for (let i = 1; i <= 6; i++) {
      o.add('chat.send', {}, {}, undefined).then(
        () => outcomes.push(`${i} ok`),
        (e: ClientSendError) => outcomes.push(`${i} ${e.code} ${e.maybeHandled}`),
      );
    }
    expect(cseqs(o.unacknowledged(4))).toEqual([1, 2, 3, 4]); // 5 and 6 never written
    o.acknowledge(2);
    o.lose((maybeHandled) => new ClientSendError('session_lost', 'lost', { maybeHandled }));
    await new Promise((r) => setTimeout(r, 0));
    expect(outcomes).toEqual(['1 ok', '2 ok', '3 session_lost true', '4 session_lost true', '5 session_lost false', '6 session_lost false']);
    expect(o.size).toBe(0);
    // numbering starts again at 1 for the next session
    void o.add('chat.send', {}, {}, undefined);
    expect(cseqs(o.unsent())).toEqual([1]);
  });

  it('writes each frame as JSON.stringify would, with the session id and cseq of the connection', () => {
    const key = fc.string().filter((k) => k !== 'session_id' && k !== 'cseq' && k !== '__proto__');
    fc.assert(
      fc.property(fc.string(), fc.dictionary(key, fc.jsonValue()), fc.option(fc.jsonValue(), { nil: undefined }), fc.string(), (type, header, payload, sessionId) => {
        const o = createOutbound();
        void o.add(type, header, payload, undefined).catch(() => undefined);
        const [frame] = o.unsent();
        expect(frame!.text(sessionId)).toBe(JSON.stringify({ type, header: { ...header, session_id: sessionId, cseq: 1 }, payload }));
      }),
    );
  });

  it('a frame serialized for the session open when it was queued is written as it is there, and rewritten for another session or cseq', () => {
    const key = fc.string().filter((k) => k !== 'session_id' && k !== 'cseq' && k !== '__proto__');
    fc.assert(
      fc.property(fc.string(), fc.dictionary(key, fc.jsonValue()), fc.option(fc.jsonValue(), { nil: undefined }), fc.string(), fc.string(), (type, header, payload, queuedIn, writtenIn) => {
        const o = createOutbound();
        void o.add(type, header, payload, undefined, queuedIn).catch(() => undefined);
        const [frame] = o.unsent();
        const want = (sessionId: string, cseq: number): string => JSON.stringify({ type, header: { ...header, session_id: sessionId, cseq }, payload });
        expect(frame!.text(queuedIn)).toBe(want(queuedIn, 1));
        expect(frame!.text(writtenIn)).toBe(want(writtenIn, 1));
        expect(frame!.text(queuedIn)).toBe(want(queuedIn, 1));
        // Renumbered by a resume after its frames were let go of (C1): the new cseq goes out.
        o.lose((maybeHandled) => new ClientSendError('closed', 'closed', { maybeHandled }));
        void o.add(type, header, payload, undefined, queuedIn).catch(() => undefined);
        o.resumed(6);
        expect(o.unsent()[0]!.text(queuedIn)).toBe(want(queuedIn, 7));
      }),
    );
  });

  it('sends the frame as it was when queued, however the caller changes its objects afterwards, and again after a reconnect', () => {
    const o = createOutbound();
    const payload = { room: 'lobby', text: 'hello' };
    const header = { request_id: 'r1' };
    void o.add('chat.send', header, payload, undefined);
    payload.text = 'changed';
    header.request_id = 'r2';
    const first = o.unsent()[0]!.text('S');
    o.rewind();
    const again = o.unsent()[0]!.text('S');
    expect(first).toBe('{"type":"chat.send","header":{"request_id":"r1","session_id":"S","cseq":1},"payload":{"room":"lobby","text":"hello"}}');
    expect(again).toBe(first);
  });

  it('refuses a payload that cannot be written as JSON without taking a cseq (C1: gap-free)', async () => {
    const o = createOutbound();
    await expect(o.add('chat.send', {}, { n: 1n }, undefined)).rejects.toMatchObject({ code: 'invalid_message' });
    void o.add('chat.send', {}, {}, undefined);
    expect(cseqs(o.unsent())).toEqual([1]);
  });

  it('after its frames were let go of, a resume numbers the next ones after what the server accepted; in a new session from 1', () => {
    const o = createOutbound();
    for (let i = 0; i < 4; i++) void o.add('chat.send', {}, {}, undefined).catch(() => undefined);
    o.unsent();
    o.lose((maybeHandled) => new ClientSendError('closed', 'closed', { maybeHandled }));
    void o.add('chat.send', {}, {}, undefined);
    void o.add('chat.send', {}, {}, undefined);
    o.resumed(3); // the server had accepted 3 of the 4 (C2): the next cseq it takes is 4
    expect(o.acked).toBe(3);
    expect(o.unsent().map((f) => f.text('S'))).toEqual([4, 5].map((cseq) => `{"type":"chat.send","header":{"session_id":"S","cseq":${cseq}},"payload":{}}`));
    o.resumed(5); // from now on a resume only acknowledges
    expect(o.acked).toBe(5);
    expect(o.size).toBe(0);

    o.lose((maybeHandled) => new ClientSendError('session_lost', 'lost', { maybeHandled }));
    o.started(); // a new session: numbering from 1, and its resumes acknowledge
    void o.add('chat.send', {}, {}, undefined);
    o.resumed(0);
    expect(cseqs(o.unsent())).toEqual([1]);
  });
});
