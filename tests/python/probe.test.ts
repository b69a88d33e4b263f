/**
 * Conformance of the Python target: `contractgen probe` against the generated Python server
 * (generated-py/agent_ui in conformance mode, served by uvicorn on loopback, with the probe's test
 * timers) passes every check on every transport and history endpoint — on the memory store and on
 * Redis. The TypeScript server (tests/python/ts-probe-server.ts) is probed the same way in the same
 * run, on the same store: a check the Python server skips must be one the TypeScript server skips
 * too (with test timers neither skips any).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProbe, type ProbeReport } from '../../generator/probe/runner.js';
import { repoRoot } from '../helpers.js';
import { failures, FAST_TIMERS, PROBE_TIMERS, probeSpec } from '../probe/helpers.js';
import { startRedisServer, type RedisServer } from '../redis/redis-server.js';
import { startPythonServer, type PythonServer } from './helpers.js';

const TIMER_ENV = { USERS: '1', TTL_MS: String(FAST_TIMERS.sessionTtlMs), HEARTBEAT_MS: String(FAST_TIMERS.heartbeatMs), POLL_HOLD_MS: String(FAST_TIMERS.pollHoldMs) };

/** The TypeScript peer in its own process; resolves once it listens. */
async function startTsServer(env: Record<string, string>): Promise<{ url: string; close(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'tests', 'python', 'ts-probe-server.ts')], { cwd: repoRoot, env: { ...process.env, TIMERS: '1', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the TypeScript probe server did not start within 20 s')), 20_000);
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      const m = /LISTENING (\d+)/.exec((out += c));
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`the TypeScript probe server exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

const skipped = (report: ProbeReport): string[] => report.results.filter((r) => r.status === 'skip').map((r) => `${r.id}@${r.transport ?? r.endpoint}`);
// A1/A2: both servers let in only `Bearer <name>`; the probe is alice, and bob for the A2 checks.
const probe = (url: string): Promise<ProbeReport> =>
  runProbe({ spec: probeSpec(), url, timeoutMs: 5000, timers: PROBE_TIMERS, headers: { authorization: 'Bearer alice' }, otherHeaders: { authorization: 'Bearer bob' } });

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis?.close());

describe.each(['memory', 'redis'] as const)('contractgen probe against the generated Python server on the %s store', (store) => {
  let python: PythonServer;
  beforeAll(async () => {
    const url = `redis://127.0.0.1:${redis.port}`;
    python = await startPythonServer('agent_app:app', { ...TIMER_ENV, ...(store === 'redis' ? { REDIS_URL: url, STORE_PREFIX: 'py-probe:' } : {}) });
  });
  afterAll(() => python?.close());

  it('passes every check over websocket, sse and poll, and every history check, skipping none the TypeScript server does not skip', async () => {
    const report = await probe(python.url);
    expect(failures(report), python.stderr()).toBe('');
    expect(report.transports).toEqual(['websocket', 'sse', 'poll']);
    expect(report.results.some((r) => r.endpoint === 'conversationHistory')).toBe(true);
    expect(report.failed).toBe(0);
    const ts = await startTsServer({ USERS: '1', ...(store === 'redis' ? { REDIS_PORT: String(redis.port), STORE_PREFIX: 'ts-probe:' } : {}) });
    try {
      const peer = await probe(ts.url);
      expect(failures(peer)).toBe('');
      const tsSkipped = new Set(skipped(peer));
      expect(skipped(report).filter((id) => !tsSkipped.has(id))).toEqual([]);
      expect(report.results.map((r) => `${r.id}@${r.transport ?? r.endpoint}`)).toEqual(peer.results.map((r) => `${r.id}@${r.transport ?? r.endpoint}`));
    } finally {
      await ts.close();
    }
    expect(report.skipped).toBe(0);
    expect(report.passed).toBe(report.results.length);
  }, 300_000);
});
