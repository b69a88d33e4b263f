/**
 * Hostile clients, part 2 (L1): WebSocket frames that break the framing, the text encoding or
 * the protocol, written byte by byte on a raw socket after a real handshake. `ws` closes the
 * connection with the code RFC 6455 names (1002, 1007, 1009); frames that are well-formed but
 * wrong get a typed protocol.error. After each the server lives, the bystanders get every
 * message and memory stays bounded (harness.ts).
 */
import { describe, expect, it } from 'vitest';
import { chatSend, connectWs } from '../helpers.js';
import { TIGHT } from './config.js';
import { rawWebSocket, type RawWebSocket, useScene, wsFrame } from './harness.js';

const scene = useScene(TIGHT);

const TEXT = 0x1;
const CLOSE = 0x8;
const PING = 0x9;
/** ws closes with 1009 beyond four frames of maxFrameBytes. */
const TIGHT_MAX_PAYLOAD = 65536 * 4;

/** A raw connection with a session: its hello read. */
async function opened(): Promise<RawWebSocket & { sessionId: string }> {
  const ws = await rawWebSocket(scene().server.port, '', { 'x-client': 'frames' });
  const until = Date.now() + 5000;
  while (ws.texts.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  const hello = JSON.parse(ws.texts[0]!) as { type: string; payload: { session_id: string } };
  expect(hello.type).toBe('protocol.hello');
  return Object.assign(ws, { sessionId: hello.payload.session_id });
}

describe('frames that break RFC 6455 (ws closes the connection)', () => {
  it.each([
    ['an unmasked client frame', () => wsFrame(TEXT, '{}', { mask: false }), 1002],
    ['a reserved opcode (0x3)', () => wsFrame(0x3, 'x'), 1002],
    ['RSV1 set without an extension', () => wsFrame(TEXT, '{}', { rsv: 4 }), 1002],
    ['a fragmented ping', () => wsFrame(PING, 'x', { fin: false }), 1002],
    ['a continuation frame with nothing to continue', () => wsFrame(0x0, 'x'), 1002],
    ['a close frame with a one-byte payload', () => wsFrame(CLOSE, Buffer.from([3])), 1002],
    ['a close frame with an invalid code (999)', () => wsFrame(CLOSE, Buffer.from([0x03, 0xe7])), 1002],
    ['invalid UTF-8 in a text frame', () => wsFrame(TEXT, Buffer.from([0x7b, 0xc3, 0x28, 0x7d])), 1007],
    ['a frame declaring 2^62 bytes', () => wsFrame(TEXT, 'x', { declaredLength: 2n ** 62n }), 1009],
    ['a frame over maxPayload', () => wsFrame(TEXT, 'x'.repeat(TIGHT_MAX_PAYLOAD + 1)), 1009],
  ])('%s → closed with its code', async (_name, frame, code) => {
    const ws = await opened();
    ws.socket.write(frame());
    expect(await ws.closed).toBe(code);
  });
});

describe('well-formed frames with hostile content (a typed error, the connection stays)', () => {
  it('an unknown type of 60 000 non-ASCII characters on a live connection → unknown_type, message cut short', async () => {
    const ws = await opened();
    ws.socket.write(wsFrame(TEXT, JSON.stringify({ type: 'ü'.repeat(30_000), header: { session_id: ws.sessionId }, payload: {} })));
    await waitForTexts(ws, 2);
    const error = JSON.parse(ws.texts[1]!);
    expect(error.payload.code).toBe('unknown_type');
    expect(ws.texts[1]!.length).toBeLessThan(2048);
  });

  it('the same as the first frame of a resuming connection → refused and closed 4000 (a close reason over 123 bytes used to throw)', async () => {
    const victim = await opened();
    const ws = await rawWebSocket(scene().server.port, `?session_id=${victim.sessionId}`, { 'x-client': 'frames' });
    ws.socket.write(wsFrame(TEXT, JSON.stringify({ type: 'ü'.repeat(200), header: { session_id: victim.sessionId }, payload: {} })));
    expect(await ws.closed).toBe(4000);
    expect(JSON.parse(ws.texts[0]!).payload.code).toBe('unknown_type');
  });

  it('a request_id that is not a RequestId (spaces, 5 000 chars) is not echoed: the error stays valid, the connection open', async () => {
    const ws = await opened();
    ws.socket.write(wsFrame(TEXT, JSON.stringify({ type: 'nope.nope', header: { session_id: ws.sessionId, request_id: 'a b'.repeat(2000) }, payload: {} })));
    await waitForTexts(ws, 2);
    const error = JSON.parse(ws.texts[1]!);
    expect(error.payload.code).toBe('unknown_type');
    expect(error.payload.request_id).toBeUndefined();
    ws.socket.write(wsFrame(TEXT, JSON.stringify(chatSend(ws.sessionId, 1))));
    await waitForTexts(ws, 3);
    expect(JSON.parse(ws.texts[2]!).header.seq).toBe(1);
  });

  it('a property name of 50 000 characters → invalid_message whose path is cut short', async () => {
    const ws = await opened();
    ws.socket.write(wsFrame(TEXT, JSON.stringify({ type: 'ui.action', header: { session_id: ws.sessionId }, payload: { view_id: 'v', component_id: 'c', action: 'click', ['k'.repeat(50_000)]: 1 } })));
    await waitForTexts(ws, 2);
    const error = JSON.parse(ws.texts[1]!);
    expect(error.payload.code).toBe('invalid_message');
    expect(ws.texts[1]!.length).toBeLessThan(2048);
  });

  it('JSON nested 20 000 deep in a free-form field → handled or refused, never thrown', async () => {
    const ws = await opened();
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    ws.socket.write(wsFrame(TEXT, `{"type":"ui.action","header":{"session_id":"${ws.sessionId}"},"payload":{"view_id":"v","component_id":"c","action":"click","value":${deep}}}`));
    ws.socket.write(wsFrame(TEXT, JSON.stringify(chatSend(ws.sessionId, 1))));
    await waitForTexts(ws, 2);
    expect(JSON.parse(ws.texts.at(-1)!).header.seq).toBe(1); // the next frame is handled as usual
  });

  it('500 binary frames → 500 typed malformed_frame errors, the session still served', async () => {
    const ws = await opened();
    for (let i = 0; i < 500; i++) ws.socket.write(wsFrame(0x2, Buffer.from([1, 2, 3])));
    ws.socket.write(wsFrame(TEXT, JSON.stringify(chatSend(ws.sessionId, 1))));
    await waitForTexts(ws, 502);
    expect(ws.texts.slice(1, 501).filter((t) => JSON.parse(t).payload?.code !== 'malformed_frame')).toEqual([]);
    expect(JSON.parse(ws.texts[501]!).header.seq).toBe(1);
  });

  it('100 connections opened with session_id that never send protocol.resume → each closed (4006) after the resume timeout; none leak', async () => {
    const before = (await scene().server.stats()).stats.connections.websocket;
    const victim = await opened();
    const idle = await Promise.all(Array.from({ length: 100 }, () => connectWs(scene().server.target, `?session_id=${victim.sessionId}`)));
    const codes = await Promise.all(idle.map((c) => c.ended));
    expect(new Set(codes.map((c) => c.code))).toEqual(new Set([4006]));
    victim.socket.destroy();
    await waitUntil(async () => (await scene().server.stats()).stats.connections.websocket === before, 'the idle connections to go');
  }, 30_000);
});

async function waitForTexts(ws: RawWebSocket, n: number, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (ws.texts.length < n) {
    if (Date.now() > until) throw new Error(`got ${ws.texts.length} of ${n} frames: ${ws.texts.map((t) => t.slice(0, 80)).join(' | ')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function waitUntil(cond: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
