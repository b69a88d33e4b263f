/**
 * Hostile clients, part 4 (L2, L3): floods of sessions and frames, and readers that are slow or
 * stuck. Every bound gets its typed refusal (`overloaded`, 429/503 with Retry-After, WebSocket
 * 1013), a connection that does not read is dropped and its buffers freed, and after each the
 * server lives, the bystanders get every message and memory stays bounded (harness.ts).
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatSend, connectWs, openSession, postMessages, range, resumeChannel, seqsOf } from '../helpers.js';
import { KiB, LIMITS, TIGHT } from './config.js';
import { type HostileServer, httpGet, rawRequest, startHostile, useScene } from './harness.js';

const scene = useScene(TIGHT);

const limits = LIMITS;
const stats = async () => (await scene().server.stats()).stats;

async function until(cond: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('session floods (L2)', () => {
  it(`hellos over poll from one client → ${limits.maxSessionsPerClient} sessions, then 429 overloaded with Retry-After; other clients still get theirs`, async () => {
    const answers = [];
    for (let i = 0; i < limits.maxSessionsPerClient + 10; i++) answers.push(await rawRequest(scene().server.port, httpGet('/poll', { 'x-client': 'flooder' })));
    expect(answers.slice(0, limits.maxSessionsPerClient).every((a) => a.status === 200)).toBe(true);
    const refused = answers.slice(limits.maxSessionsPerClient);
    expect(refused.every((a) => a.status === 429 && /retry-after: \d+/i.test(a.head))).toBe(true);
    expect(JSON.parse(refused[0]!.body).frames[0].payload.code).toBe('overloaded');
    expect((await rawRequest(scene().server.port, httpGet('/poll', { 'x-client': 'someone-else' }))).status).toBe(200);
  });

  it('hellos over WebSocket past the per-client limit → overloaded, close 1013', async () => {
    const opened = [];
    for (let i = 0; i < limits.maxSessionsPerClient; i++) opened.push(await connectWs(scene().server.target, '', { headers: { 'x-client': 'ws-flooder' } }));
    const refused = await connectWs(scene().server.target, '', { headers: { 'x-client': 'ws-flooder' } });
    expect((await refused.next('protocol.error')).payload.code).toBe('overloaded');
    expect((await refused.ended).code).toBe(1013);
    expect(opened.every((c) => c.log[0]?.type === 'protocol.hello')).toBe(true);
  });

  it('hellos over SSE past the per-client limit → the overloaded frame as the only event, with a retry hint for EventSource', async () => {
    for (let i = 0; i < limits.maxSessionsPerClient; i++) {
      const r = await rawRequest(scene().server.port, httpGet('/events', { 'x-client': 'sse-flooder' }), 5000, (text) => text.includes('protocol.hello'));
      expect(r.body).toContain('protocol.hello');
    }
    const r = await rawRequest(scene().server.port, httpGet('/events', { 'x-client': 'sse-flooder' }));
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/retry: \d+\n/);
    expect(r.body).toContain('"code":"overloaded"');
  });

  it(`hellos from many clients → at most ${limits.maxSessions} sessions in the process, then 503 overloaded`, async () => {
    const statuses: number[] = [];
    for (let i = 0; i < limits.maxSessions + 5; i++) statuses.push((await rawRequest(scene().server.port, httpGet('/poll', { 'x-client': `client-${i}` }))).status ?? 0);
    expect((await stats()).sessions).toBe(limits.maxSessions);
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThanOrEqual(5 + 3); // the 3 bystanders count too
    const r = await rawRequest(scene().server.port, httpGet('/poll', { 'x-client': 'late' }));
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body).frames[0].payload.code).toBe('overloaded');
  });

  it('sessions ended free their place: a client at its limit gets a new one after one of its sessions ends', async () => {
    for (let i = 0; i < limits.maxSessionsPerClient; i++) await rawRequest(scene().server.port, httpGet('/poll', { 'x-client': 'recycler' }));
    expect((await rawRequest(scene().server.port, httpGet('/poll', { 'x-client': 'recycler' }))).status).toBe(429);
    await scene().server.endSessionsBut(scene().bystanders.map((b) => b.sessionId));
    expect((await rawRequest(scene().server.port, httpGet('/poll', { 'x-client': 'recycler' }))).status).toBe(200);
  });
});

describe('the session rate (L2)', () => {
  let rated: HostileServer;
  beforeAll(async () => {
    rated = await startHostile({ ...TIGHT, limits: { ...limits, maxSessionsPerSecond: 5 } });
  });
  afterAll(() => rated.close());

  it('a burst past maxSessionsPerSecond → 429 overloaded with Retry-After 1; a second later sessions are made again', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await rawRequest(rated.port, httpGet('/poll', { 'x-client': `burst-${i}` }))).status ?? 0);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(6); // 5 in the bucket, maybe one refilled
    const refused = await rawRequest(rated.port, httpGet('/poll', { 'x-client': 'burst-x' }));
    expect(refused.status).toBe(429);
    expect(refused.head).toMatch(/retry-after: 1/i);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await rawRequest(rated.port, httpGet('/poll', { 'x-client': 'burst-y' }))).status).toBe(200);
    expect(rated.exited).toBeUndefined();
  });
});

describe('an inbound flood to a stuck handler (L2: backpressure)', () => {
  it('over WebSocket: the socket is not read past maxInboundBytes, memory stays flat, and every frame is handled in order once the handler goes on', async () => {
    const ch = await connectWs(scene().server.target, '', { headers: { 'x-client': 'inbound' } });
    const id = (await ch.next('protocol.hello')).payload.session_id as string;
    const before = await scene().server.stats();
    await ch.send(chatSend(id, 'block'));
    const frame = (i: number) => JSON.stringify(chatSend(id, `q:${i}`.padEnd(30_000, ' ')));
    for (let i = 0; i < 300; i++) ch.ws.send(frame(i)); // 9 MB
    await new Promise((r) => setTimeout(r, 500));
    const during = await scene().server.stats();
    // Pausing stops the socket; what ws already read (one socket read, at most 64 KiB) still comes.
    expect(during.stats.inboundBytes).toBeLessThanOrEqual(limits.maxInboundBytes + 64 * KiB + 31_000);
    expect(during.memory.heapUsed + during.memory.arrayBuffers - (before.memory.heapUsed + before.memory.arrayBuffers)).toBeLessThan(8 * 1024 * KiB);
    expect(ch.ws.bufferedAmount).toBeGreaterThan(1024 * KiB); // the rest waits on the client's side
    await scene().server.release();
    await until(async () => (await scene().server.handled(id)).length === 301, 'every frame to be handled', 20_000);
    expect((await scene().server.handled(id)).slice(1).map((t) => Number(t.trim().slice(2)))).toEqual(range(0, 299));
  }, 30_000);
});

describe('slow and stuck readers (L3)', () => {
  it('a WebSocket client that stops reading → closed 4005 and let go (socket destroyed); its session resumes from the window with nothing lost', async () => {
    const ch = await connectWs(scene().server.target, '', { headers: { 'x-client': 'slow-ws' } });
    const hello = await ch.next('protocol.hello');
    const id = hello.payload.session_id as string;
    const before = await stats();
    // ws.pause(), not its socket's: ws resumes a paused socket whenever its receiver drains, so a
    // client that only paused the socket goes on reading (and a server that does not judge by one
    // burst never finds it slow).
    ch.ws.pause();
    await ch.send(chatSend(id, 'emit:400:30000')); // 12 MB
    await until(async () => (await stats()).attached === before.attached - 1, 'the slow session to be detached');
    await until(async () => (await stats()).connections.websocket === before.connections.websocket - 1, 'its socket to be destroyed', 15_000);
    // R3: a cursor older than the window is refused, never half-served; from where it starts, all comes.
    const from0 = await resumeChannel(scene().server.target, 'websocket', { sessionId: id, token: hello.payload.resume_token, lastSeenSeq: 0 });
    const refusal = await from0.next('protocol.resume_failed');
    expect(refusal.payload).toMatchObject({ reason: 'window_exceeded', latest_seq: 400 });
    const earliest = refusal.payload.earliest_seq as number;
    const again = await resumeChannel(scene().server.target, 'websocket', { sessionId: id, token: hello.payload.resume_token, lastSeenSeq: earliest - 1 });
    await again.next('protocol.hello');
    expect((await again.next('protocol.resumed')).payload).toEqual({ from_seq: earliest, latest_seq: 400, acked: 0 });
    expect(seqsOf(await again.data(400 - earliest + 1))).toEqual(range(earliest, 400));
  }, 30_000);

  it('an SSE client that never reads → its socket destroyed past maxBufferedBytes, its session detached so its TTL runs', async () => {
    const before = await stats();
    const socket = net.connect(scene().server.port, '127.0.0.1');
    let text = '';
    let received = 0;
    const hello = await new Promise<{ session_id: string; resume_token: string }>((resolve) => {
      socket.on('connect', () => socket.write(httpGet('/events', { 'x-client': 'stuck-sse', connection: 'keep-alive' })));
      socket.on('data', (d) => {
        received += d.length;
        if (text === undefined) return;
        text += d.toString();
        const m = /data: (\{"type":"protocol.hello".*\})\n/.exec(text);
        if (m) {
          text = undefined as unknown as string;
          socket.pause(); // from now on nothing is read
          resolve(JSON.parse(m[1]!).payload);
        }
      });
    });
    let closed = false;
    socket.on('close', () => (closed = true));
    socket.on('error', () => undefined);
    await postMessages(scene().server.target, chatSend(hello.session_id, 'emit:400:30000'), hello.resume_token);
    await until(async () => (await stats()).connections.sse === before.connections.sse, 'the server to let go of the stuck stream (only the bystander stream left)', 15_000);
    await until(async () => (await stats()).attached === before.attached, 'the stuck session to be detached');
    // Destroyed, not ended after its data: reading again, the client finds its connection gone
    // long before the 12 MB. (A paused socket sees no close, so the client looks now.)
    socket.resume();
    await until(async () => closed, 'the client to find its socket closed', 15_000);
    expect(received).toBeLessThan(12_000_000);
  }, 30_000);

  it('a poll client that stops polling → its attachment lapses after holdMs + heartbeat; its session waits for a resume', async () => {
    const before = await stats();
    const p = await openSession(scene().server.target, 'poll');
    p.ch.drop();
    await until(async () => (await stats()).attached === before.attached, 'the lapsed poll attachment to detach', 25_000);
    const again = await resumeChannel(scene().server.target, 'poll', { sessionId: p.sessionId, token: p.token, lastSeenSeq: 0 });
    expect((await again.next('protocol.hello')).payload.session_id).toBe(p.sessionId);
  }, 30_000);
});
