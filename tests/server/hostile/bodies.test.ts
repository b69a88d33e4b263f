/**
 * Hostile clients, part 3 (L1, L2, L4): POST bodies and poll queries. Nothing is read or built
 * for a request without a token; a session named in the query is checked before the body is
 * read; a batch is bounded in frames and in the errors it can earn; an answer never grows with
 * the request. After each the server lives, the bystanders get every message and memory stays
 * bounded (harness.ts).
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { chatSend, FAKE_SESSION_ID, FAKE_TOKEN, openSession, pollOnce, postMessages, type OpenSession } from '../helpers.js';
import { KiB, LIMITS, TIGHT } from './config.js';
import { httpPost, rawRequest, useScene } from './harness.js';

const scene = useScene(TIGHT);

const port = (): number => scene().server.port;
const json = (body: string): any => JSON.parse(body);
const MB_OF_ZEROS = `[${Array.from({ length: 500_000 }, () => '0').join(',')}]`;
const sse = (): OpenSession => scene().bystanders[1]!;

describe('POST /messages before authentication (L4)', () => {
  it('a 1 MB array of 0 without a token → 401, one frame, the body never read', async () => {
    const r = await rawRequest(port(), httpPost('/messages', MB_OF_ZEROS));
    expect(r.status).toBe(401);
    expect(json(r.body).frames).toHaveLength(1);
    expect(json(r.body).frames[0].payload.code).toBe('unknown_session');
    expect(r.bytes).toBeLessThan(1024);
  });

  it('a 1 MB array of 0 with a wrong token for a real session → one refusal, not one per element', async () => {
    const body = `[${JSON.stringify(chatSend(sse().sessionId))},${MB_OF_ZEROS.slice(1)}`;
    const r = await rawRequest(port(), httpPost('/messages', body, { "resume-token": FAKE_TOKEN }));
    expect([404, 413]).toContain(r.status);
    expect(json(r.body).frames).toHaveLength(1);
    expect(r.bytes).toBeLessThan(1024);
  });

  it('?session_id= with a wrong token → 404 before the body is read (only the headers were sent)', async () => {
    const answer = await new Promise<string>((resolve) => {
      const socket = net.connect(port(), '127.0.0.1', () =>
        socket.write(`POST /messages?session_id=${sse().sessionId} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\nResume-Token: ${FAKE_TOKEN}\r\n\r\n`),
      );
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 404/);
    expect(answer).toContain('"code":"unknown_session"');
  });

  it('?session_id= with the right token → the frames are handled as usual', async () => {
    const r = await rawRequest(port(), httpPost(`/messages?session_id=${sse().sessionId}`, JSON.stringify(chatSend(sse().sessionId, 1)), { "resume-token": sse().token }));
    expect(r.status).toBe(202);
    await sse().ch.data(1);
  });

  it('?session_id= naming one session, frames naming another → unknown_session for them', async () => {
    const other = scene().bystanders[2]!;
    const r = await rawRequest(port(), httpPost(`/messages?session_id=${sse().sessionId}`, JSON.stringify(chatSend(other.sessionId, 1)), { "resume-token": sse().token }));
    expect(r.status).toBe(404);
    expect(json(r.body).frames[0].payload).toMatchObject({ code: 'unknown_session', path: '/header/session_id' });
  });

  it('a session_id of 600 characters in the query → 404 without asking the store', async () => {
    const r = await rawRequest(port(), httpPost(`/messages?session_id=${'s'.repeat(600)}`, '{}', { "resume-token": FAKE_TOKEN }));
    expect(r.status).toBe(404);
  });
});

describe('POST /messages batches (L2)', () => {
  it(`more frames than maxFramesPerPost (${LIMITS.maxFramesPerPost}) → 413 overloaded, nothing handled`, async () => {
    const texts = await scene().server.handled(sse().sessionId);
    const r = await postMessages(scene().server.target, Array.from({ length: 5 }, () => chatSend(sse().sessionId, 1)), sse().token);
    expect(r.status).toBe(413);
    expect(r.body!.frames).toHaveLength(1);
    expect(r.body!.frames[0]!.payload.code).toBe('overloaded');
    expect(await scene().server.handled(sse().sessionId)).toEqual(texts);
  });

  it(`a batch of bad frames → at most maxErrorFrames (${LIMITS.maxErrorFrames}) errors, then one overloaded saying the rest was not handled`, async () => {
    const bad = { type: 'nope.nope', header: { session_id: sse().sessionId }, payload: {} };
    const r = await postMessages(scene().server.target, [bad, bad, bad, chatSend(sse().sessionId, 1)], sse().token);
    expect(r.status).toBe(400);
    expect(r.body!.accepted).toBe(0);
    expect(r.body!.frames.map((f) => f.payload.code)).toEqual(['unknown_type', 'unknown_type', 'overloaded']);
    expect(r.body!.frames[2]!.payload.message).toMatch(/^2 more frames/);
  });

  it('a body over maxFrameBytes × maxFramesPerPost → 413 frame_too_large', async () => {
    const r = await rawRequest(port(), httpPost('/messages', 'x'.repeat(65536 * 4 + 1), { "resume-token": sse().token }));
    expect(r.status).toBe(413);
    expect(json(r.body).frames[0].payload.code).toBe('frame_too_large');
  });

  it('an array item nested 30 000 deep → 400 malformed_frame (JSON.stringify would overflow the stack)', async () => {
    const deep = '['.repeat(30_000) + ']'.repeat(30_000);
    const r = await rawRequest(port(), httpPost('/messages', `[${JSON.stringify(chatSend(sse().sessionId, 1))},${deep}]`, { "resume-token": sse().token }));
    expect(r.status).toBe(400);
    expect(json(r.body).accepted).toBe(1);
    expect(json(r.body).frames[0].payload.code).toBe('malformed_frame');
    await sse().ch.data(1);
  });

  it('a body that stops halfway (slowloris) holds nothing but its socket; the server serves on, and nothing stays when it goes', async () => {
    const socket = net.connect(port(), '127.0.0.1', () =>
      socket.write(`POST /messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\nResume-Token: ${sse().token}\r\n\r\n[{"type":`),
    );
    socket.on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 200));
    const r = await postMessages(scene().server.target, chatSend(sse().sessionId, 1), sse().token);
    expect(r.status).toBe(202);
    await sse().ch.data(1);
    socket.destroy();
  });
});

describe('inbound backpressure over POST (L2)', () => {
  it(`frames for a session whose handler is stuck → 429 overloaded past maxInboundBytes (${LIMITS.maxInboundBytes / KiB} KiB), then accepted again once it catches up`, async () => {
    const victim = await openSession(scene().server.target, 'poll');
    const big = (n: number) => chatSend(victim.sessionId, `q:${n}`.padEnd(30_000, ' '));
    expect((await postMessages(scene().server.target, chatSend(victim.sessionId, 'block'), victim.token)).status).toBe(202);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await postMessages(scene().server.target, big(i), victim.token)).status);
    expect(statuses.slice(0, 2)).toEqual([202, 202]);
    expect(statuses.slice(2)).toEqual([429, 429, 429, 429]);
    const refused = await postMessages(scene().server.target, big(9), victim.token);
    expect(refused.body!.frames[0]!.payload.code).toBe('overloaded');
    expect((await scene().server.stats()).stats.inboundBytes).toBeLessThanOrEqual(LIMITS.maxInboundBytes);
    await scene().server.release();
    const until = Date.now() + 5000;
    while ((await postMessages(scene().server.target, chatSend(victim.sessionId, 1), victim.token)).status !== 202) {
      if (Date.now() > until) throw new Error('still refused after the handler caught up');
    }
    expect((await scene().server.handled(victim.sessionId)).slice(0, 3).map((t) => t.trim())).toEqual(['block', 'q:0', 'q:1']);
  });
});

describe('poll queries (L1, L2)', () => {
  it.each(['0', '-1', 'abc', '1.5', '99999999999999999999'])('max_bytes=%s → 400 invalid_message at /max_bytes', async (value) => {
    const r = await pollOnce(scene().server.target, `?max_bytes=${value}`);
    expect(r.status).toBe(400);
    expect(r.frames[0]!.payload).toMatchObject({ code: 'invalid_message', path: '/max_bytes' });
  });

  it('max_bytes=1 → one frame per answer, however many are waiting (a frame always goes)', async () => {
    const first = await pollOnce(scene().server.target, '?max_bytes=1');
    const hello = first.frames[0]!;
    const id = hello.payload.session_id as string;
    const token = hello.payload.resume_token as string;
    await postMessages(scene().server.target, chatSend(id, 3), token);
    const seqs: number[] = [];
    let cursor = 0;
    while (seqs.length < 3) {
      const r = await pollOnce(scene().server.target, `?session_id=${id}&cursor=${cursor}&max_bytes=1`, token);
      const data = r.frames.filter((f) => typeof f.header.seq === 'number');
      expect(data.length).toBeLessThanOrEqual(1);
      for (const f of data) seqs.push((cursor = f.header.seq));
    }
    expect(seqs).toEqual([1, 2, 3]);
  });

  it(`a backlog far over maxPollBytes → answers of at most ${LIMITS.maxPollBytes / KiB} KiB of data, nothing lost`, async () => {
    const first = await pollOnce(scene().server.target, '');
    const id = first.frames[0]!.payload.session_id as string;
    const token = first.frames[0]!.payload.resume_token as string;
    await postMessages(scene().server.target, chatSend(id, 'emit:20:20000'), token);
    const seqs: number[] = [];
    let cursor = 0;
    while (seqs.length < 20) {
      const res = await fetch(`${scene().server.target.origin}/poll?session_id=${id}&cursor=${cursor}`, { headers: { "resume-token": token } });
      const text = await res.text();
      expect(Buffer.byteLength(text)).toBeLessThan(LIMITS.maxPollBytes + 21_000);
      for (const f of JSON.parse(text).frames as { header: { seq?: number } }[]) if (typeof f.header.seq === 'number') seqs.push((cursor = f.header.seq));
    }
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it(`max asks for fewer data frames than maxPollFrames (${LIMITS.maxPollFrames}), never more; a bad max or max_bytes → 400 naming it, the session untouched`, async () => {
    const first = await pollOnce(scene().server.target, '');
    const id = first.frames[0]!.payload.session_id as string;
    const token = first.frames[0]!.payload.resume_token as string;
    await postMessages(scene().server.target, chatSend(id, 20), token);
    const take = async (cursor: number, query: string): Promise<number[]> => {
      const r = await pollOnce(scene().server.target, `?session_id=${id}&cursor=${cursor}${query}`, token);
      expect(r.status).toBe(200);
      return r.frames.flatMap((f) => (typeof f.header.seq === 'number' ? [f.header.seq] : []));
    };
    const seqs: number[] = [];
    while (seqs.length < 20) {
      // Alternately under the cap (3), above it (50: the cap) and without max (the cap).
      const query = ['&max=3', '&max=50', ''][seqs.length % 3]!;
      const got = await take(seqs.at(-1) ?? 0, query);
      expect(got.length).toBeLessThanOrEqual(query === '&max=3' ? 3 : LIMITS.maxPollFrames);
      seqs.push(...got);
    }
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    for (const [name, value] of [['max', '0'], ['max', '-3'], ['max', '1.5'], ['max', 'x'], ['max', '99999999999999999999'], ['max_bytes', '0'], ['max_bytes', '']] as const) {
      const r = await pollOnce(scene().server.target, `?session_id=${id}&cursor=20&${name}=${value}`, token);
      expect(r.status, `${name}=${value}`).toBe(400);
      expect(r.frames[0]!.payload).toMatchObject({ code: 'invalid_message', path: `/${name}` });
    }
    expect(await take(19, '&max=1')).toEqual([20]);
  });

  it('a cursor of 2^53 and one ahead of the latest seq → 400, the session untouched', async () => {
    const p = scene().bystanders[2]!;
    expect((await pollOnce(scene().server.target, `?session_id=${p.sessionId}&cursor=9007199254740993`, p.token)).status).toBe(400);
    const ahead = await pollOnce(scene().server.target, `?session_id=${FAKE_SESSION_ID}&cursor=5&resume=1`, FAKE_TOKEN);
    expect(ahead.status).toBe(404);
  });
});
