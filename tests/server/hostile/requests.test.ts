/**
 * Hostile clients, part 1 (L1): request lines, targets, headers and upgrades no well-behaved
 * client sends, written as raw bytes on `net` sockets. Each gets its typed answer, and after each
 * the server process lives, every well-behaved session beside it gets its next message, and its
 * memory stays bounded (harness.ts: Scene.check).
 */
import { describe, expect, it } from 'vitest';
import { TIGHT } from './config.js';
import { byHost, httpGet, httpPost, rawRequest, UPGRADE_HEADERS, useScene } from './harness.js';

const scene = useScene(TIGHT);

const port = (): number => scene().server.port;
const json = (body: string): any => JSON.parse(body);

describe('request targets that are not URLs (L1)', () => {
  it.each([
    ['an absolute-form target with a broken host', httpGet('http://[::1/poll')],
    ['an absolute-form target with a port out of range', httpGet('http://a:99999/poll')],
    ['an asterisk-form target on GET', httpGet('*')],
  ])('%s → 400 with a JSON reason', async (_name, request) => {
    const r = await rawRequest(port(), request);
    expect(r.status).toBe(400);
    expect(json(r.body).error).toMatch(/not a valid URL/);
  });

  it.each([
    ['GET //[ (new URL(target, base) reads it as a host and throws)', httpGet('//[')],
    ['GET //[/poll', httpGet('//[/poll?x=1')],
  ])('%s → read as the path it is: no route, 404', async (_name, request) => {
    const r = await rawRequest(port(), request);
    expect(r.status).toBe(404);
    expect(json(r.body).error).toMatch(/^no route for GET \/\/\[/);
  });

  it.each([
    ['GET //[ as a WebSocket upgrade', httpGet('//[', UPGRADE_HEADERS), 404],
    ['an absolute-form upgrade with a broken host', httpGet('http://[/ws', UPGRADE_HEADERS), 400],
  ])('%s → refused (%i), the socket closed', async (_name, request, status) => {
    const r = await rawRequest(port(), request);
    expect(r.status).toBe(status);
    expect(r.closed).toBe(true);
  });
});

describe('request lines and headers the host refuses itself (L1)', () => {
  it.each([
    ['binary garbage for a request line', 400, Buffer.from([0x00, 0x01, 0xff, 0x0d, 0x0a, 0x0d, 0x0a])],
    ['a target that is no path at all', 400, 'GET poll HTTP/1.1\r\nHost: x\r\n\r\n'],
    // h11 passes any method on: the path answers that it takes GET.
    ['an unknown method', byHost(400, 405), 'BREW /poll HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a NUL in a header value', 400, 'GET /poll HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n'],
    ['a header without a colon', 400, 'GET /poll HTTP/1.1\r\nHost: x\r\nthis is not a header\r\n\r\n'],
    // h11 reads the chunked body (RFC 9112: Transfer-Encoding wins); the POST has no token (L4).
    ['Content-Length and Transfer-Encoding both', byHost(400, 401), 'POST /messages HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['two different Content-Lengths', 400, 'POST /messages HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello'],
    ['a broken chunk size', 400, 'POST /messages HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nAuthorization: Bearer abc\r\n\r\nzz\r\nhello\r\n0\r\n\r\n'],
  ])('%s → %i and the connection closed', async (_name, status, request) => {
    const r = await rawRequest(port(), request);
    expect(r.status).toBe(status);
    // Closed, or about to be: a chunked answer (uvicorn's) ends before its connection does.
    expect(r.closed || /^connection: close$/im.test(r.head)).toBe(true);
  });

  it('64 KiB of headers → 431, the connection closed', async () => {
    const r = await rawRequest(port(), httpGet('/poll', { 'x-padding': 'p'.repeat(64 * 1024) }));
    expect(r.status).toBe(431);
    expect(r.closed).toBe(true);
  });
});

describe('headers and query strings of the contract paths (L1, L2: answers never grow with the request)', () => {
  it('a 15 KB unknown history parameter name → 400 naming it cut short', async () => {
    const name = 'n'.repeat(15_000);
    const r = await rawRequest(port(), httpGet(`/conversations/c-1?${name}=1`));
    // No history store is mounted here: the route is not served, the target is still read safely.
    expect([400, 404]).toContain(r.status);
    expect(r.bytes).toBeLessThan(2048);
  });

  it('a 10 KB versions list → 400 unsupported_version whose message is cut short', async () => {
    const r = await rawRequest(port(), httpGet(`/poll?versions=${'9.9,'.repeat(2500)}`, { 'x-client': 'versions' }));
    expect(r.status).toBe(400);
    const f = json(r.body).frames[0];
    expect(f.payload).toMatchObject({ code: 'unsupported_version', supported_versions: ['1.0', '1.1'] });
    expect(r.bytes).toBeLessThan(1024);
  });

  it('a poll with 4 000 repeated parameters and a huge cursor → 400 invalid_message at /cursor', async () => {
    const s = scene().bystanders[2]!;
    const r = await rawRequest(port(), httpGet(`/poll?session_id=${s.sessionId}&${'a=1&'.repeat(4000)}cursor=99999999999999999999`, { "resume-token": s.token }));
    expect(r.status).toBe(400);
    expect(json(r.body).frames[0].payload).toMatchObject({ code: 'invalid_message', path: '/cursor' });
  });

  it('a 12 KB bearer token → 404 unknown_session, the store never asked', async () => {
    const s = scene().bystanders[2]!;
    const r = await rawRequest(port(), httpGet(`/poll?session_id=${s.sessionId}&cursor=0`, { "resume-token": 't'.repeat(12_000) }));
    expect(r.status).toBe(404);
    expect(json(r.body).frames[0].payload.reason).toBe('unknown_session');
  });

  it('a session_id that is not URL-safe text on an SSE resume → resume_failed unknown_session as the only event', async () => {
    const r = await rawRequest(port(), httpGet(`/events?session_id=${encodeURIComponent('../../etc/passwd{x}')}&resume_token=${'a'.repeat(43)}&last_seen_seq=0`));
    expect(r.status).toBe(200);
    expect(r.body).toContain('"reason":"unknown_session"');
  });

  it('an SSE Last-Event-ID of 8 KB garbage → invalid_message at /last_seen_seq', async () => {
    const s = scene().bystanders[1]!;
    const r = await rawRequest(port(), httpGet(`/events?session_id=${s.sessionId}&resume_token=${s.token}`, { 'last-event-id': '9'.repeat(8000) + 'x' }));
    expect(r.status).toBe(200);
    expect(r.body).toContain('"path":"/last_seen_seq"');
  });

  it('percent-encoding that does not decode in a history path → no route, no crash', async () => {
    const r = await rawRequest(port(), httpGet('/conversations/%E0%A4%A'));
    expect(r.status).toBe(404);
  });

  it('a POST with the right Content-Length but invalid UTF-8 → 400 malformed_frame', async () => {
    const s = scene().bystanders[1]!;
    const r = await rawRequest(port(), httpPost('/messages', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { "resume-token": s.token }));
    expect(r.status).toBe(400);
    expect(json(r.body).frames[0].payload.code).toBe('malformed_frame');
  });
});

describe('upgrades (L1)', () => {
  it.each([
    ['to a path with no WebSocket endpoint', httpGet('/nowhere', UPGRADE_HEADERS), 404],
    ['with a Sec-WebSocket-Key that is not one', httpGet('/ws', { ...UPGRADE_HEADERS, 'sec-websocket-key': 'short' }), 400],
    ['with Sec-WebSocket-Version 7', httpGet('/ws', { ...UPGRADE_HEADERS, 'sec-websocket-version': '7' }), 400],
    ['with a broken Sec-WebSocket-Protocol list', httpGet('/ws', { ...UPGRADE_HEADERS, 'sec-websocket-protocol': 'a,,b' }), 400],
    ['by POST', httpGet('/ws', UPGRADE_HEADERS).replace(/^GET/, 'POST'), 405],
  ])('%s → refused, the socket closed', async (_name, request, status) => {
    const r = await rawRequest(port(), request);
    expect(r.status).toBe(status);
    expect(r.closed).toBe(true);
  });
});
