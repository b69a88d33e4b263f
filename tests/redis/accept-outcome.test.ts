/**
 * C2 on Redis when an accept_run lost its answer (the connection dropped in flight): verifyAccept
 * asks Redis what became of the run, by the hand-off id the script recorded, and answers with the
 * verdicts the run really had — never handing a frame that another run accepted, never twice.
 * Run against a real redis-server, with the scripts run directly to set up each case.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { runScript } from '../../runtime/server/redis-connection.js';
import { runAnswerOf, StoreOutcomeUnknownError, verifyAccept } from '../../runtime/server/redis-outcome.js';
import { ACCEPT_RUN, CREATE, sessionKeys } from '../../runtime/server/redis-scripts.js';
import { UnknownSessionError, verdictOf, type RunAnswer } from '../../runtime/server/store.js';
import { connectRedis, startRedisServer, type RedisServer } from './redis-server.js';

let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  server = await startRedisServer();
  redis = await connectRedis(server.port);
});
afterAll(async () => {
  redis?.disconnect();
  await server?.close();
});

let sessions = 0;
async function session(): Promise<{ id: string; keys: string[] }> {
  const id = `s${++sessions}`;
  const k = sessionKeys('outcome:', id);
  const keys = [k.meta, k.log, k.tomb];
  expect(await runScript(redis, CREATE, keys, ['00', '1.1', 60_000, 120_000, '', ''])).toBe(1);
  return { id, keys };
}

const acceptRun = async (s: { id: string; keys: string[] }, first: number, count: number, handoff: string): Promise<RunAnswer> => runAnswerOf(await runScript(redis, ACCEPT_RUN, s.keys, [first, count, handoff]), s.id);

const verify = (s: { id: string; keys: string[] }, first: number, count: number, handoff: string): Promise<RunAnswer> =>
  verifyAccept({ redis, keys: s.keys, id: s.id, first, count, handoff, cause: new Error('connection lost'), verifyMs: 500, now: Date.now, closed: () => false });

const verdicts = (answer: RunAnswer, first: number, count: number): string[] => Array.from({ length: count }, (_, i) => verdictOf(answer, first + i));

describe('verifyAccept: what became of a run whose answer was lost (C2)', () => {
  it('landed: the verdicts it had, even for a run that straddled acked', async () => {
    const s = await session();
    await acceptRun(s, 1, 2, 'earlier');
    expect(await acceptRun(s, 1, 4, 'lost')).toEqual({ before: 2, acked: 4 });
    const answer = await verify(s, 1, 4, 'lost');
    expect(verdicts(answer, 1, 4)).toEqual(['duplicate', 'duplicate', 'accepted', 'accepted']);
  });

  it('never landed: the run is decided now, once', async () => {
    const s = await session();
    await acceptRun(s, 1, 2, 'earlier');
    const answer = await verify(s, 2, 3, 'lost');
    expect(answer).toEqual({ before: 2, acked: 4 });
    expect(verdicts(answer, 2, 3)).toEqual(['duplicate', 'accepted', 'accepted']);
    // Asked again with the same hand-off (a second verification): it landed, the same verdicts.
    expect(verdicts(await verify(s, 2, 3, 'lost'), 2, 3)).toEqual(['duplicate', 'accepted', 'accepted']);
  });

  it('accepted through its end by another hand-off: all duplicates', async () => {
    const s = await session();
    await acceptRun(s, 1, 4, 'other');
    expect(verdicts(await verify(s, 3, 2, 'lost'), 3, 2)).toEqual(['duplicate', 'duplicate']);
  });

  it('acked moved past the run: it cannot tell, so nothing of the run is handed over', async () => {
    const s = await session();
    await acceptRun(s, 1, 6, 'other');
    await expect(verify(s, 3, 2, 'lost')).rejects.toBeInstanceOf(StoreOutcomeUnknownError);
  });

  it('a gap stays a gap; a session gone is UnknownSessionError', async () => {
    const s = await session();
    expect(verdicts(await verify(s, 3, 2, 'lost'), 3, 2)).toEqual(['gap', 'gap']);
    await expect(verify({ id: 'gone', keys: ['outcome:{gone}:meta', 'outcome:{gone}:log', 'outcome:{gone}:tomb'] }, 1, 1, 'x')).rejects.toBeInstanceOf(UnknownSessionError);
  });
});
