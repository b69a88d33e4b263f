/**
 * The probe's poll link against a server that answers one data frame per poll (what a server on
 * Redis does when the frames of a trigger reach it one at a time): every frame is asked for and
 * arrives. The link used to lose its wake-up here: a check that took the only frame of an answer
 * and asked for the next one at once found the finished poll still marked in flight, did not
 * poll again, and waited out its whole timeout ("expected 5 data messages, got #1 and nothing
 * more") — against the Python server on Redis about one run in four.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPoll } from '../../generator/probe/poll-link.js';
import { Recorder, type Link } from '../../generator/probe/link.js';
import { probeSpec } from './helpers.js';

const SESSION = 'q3Jt0Yz8uVbK2mXw5LcP9a';
const TOKEN = 'Vx7dQ2kL9pR4sT1uW8yZ3aB6cD0eF5gH2iJ7kL4mN9o';
const FRAMES = 5;

const hello = {
  type: 'protocol.hello',
  header: { session_id: SESSION },
  payload: { protocol_version: '1.1', session_id: SESSION, resume_token: TOKEN, latest_seq: 0, replay_window: { max_messages: 1000, max_bytes: 1048576 }, heartbeat_ms: 15000, session_ttl_ms: 120000, max_frame_bytes: 65536, transports: ['poll'], capabilities: [] },
};
const event = (seq: number) => ({ type: 'agent.event', header: { session_id: SESSION, seq }, payload: { conversation_id: 'c-1', turn_id: 't-1', kind: 'text', text: `m${seq}` } });

let server: http.Server;
let base: URL;
const polls: number[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const cursor = url.searchParams.get('cursor');
    const answer = (frames: unknown[]) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ frames }));
    if (cursor === null) return answer([hello]);
    polls.push(Number(cursor));
    // One frame per answer, at once; past the last one the poll is held (never answered here).
    if (Number(cursor) < FRAMES) return answer([event(Number(cursor) + 1)]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('the probe poll link', () => {
  it('asks for every frame when each answer brings one, and the check takes each at once', async () => {
    const links: Link[] = [];
    const spec = probeSpec();
    const link = await connectPoll({ spec, base, recorder: new Recorder(spec), timeoutMs: 1000, holdMs: 1000, track: (l) => links.push(l) }, { versions: '1.0,1.1' });
    expect(link.session?.id).toBe(SESSION);
    expect((await link.next(1000))?.frame.type).toBe('protocol.hello');
    const seqs: unknown[] = [];
    for (let i = 0; i < FRAMES; i++) {
      const r = await link.next(1000);
      expect(r, `frame ${i + 1} of ${FRAMES} (polls so far: cursors ${polls.join(', ')})`).toBeDefined();
      seqs.push(r!.frame.header.seq);
    }
    expect(seqs).toEqual([1, 2, 3, 4, 5]);
    expect(polls.slice(0, FRAMES)).toEqual([0, 1, 2, 3, 4]);
    link.drop();
  });
});
