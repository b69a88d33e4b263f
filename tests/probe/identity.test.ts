/**
 * `contractgen probe` against an application that authenticates (A1): with `--header` every check
 * passes (without it every request is refused), and with `--other-header` the A2 checks show that
 * another principal cannot resume, poll or POST to a session of the first.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../generator/cli.js';
import { runProbe } from '../../generator/probe/runner.js';
import { failures, PROBE_TIMERS, probeSpec, startGeneratedServer, type RunningServer } from './helpers.js';

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('probe against an authenticating server', () => {
  it('with --header and --other-header: every check passes, the A2 checks included', async () => {
    server = await startGeneratedServer({ users: true, timers: true });
    const report = await runProbe({ spec: probeSpec(), url: server.url, timeoutMs: 5000, timers: PROBE_TIMERS, headers: { authorization: 'Bearer alice' }, otherHeaders: { authorization: 'Bearer bob' } });
    expect(failures(report)).toBe('');
    expect(report.results.filter((r) => r.status === 'skip')).toEqual([]);
    const a2 = report.results.filter((r) => r.rule === 'A2').map((r) => `${r.id}@${r.transport}`).sort();
    expect(a2).toEqual(['other-principal-post@poll', 'other-principal-post@sse', 'other-principal-resume@poll', 'other-principal-resume@sse', 'other-principal-resume@websocket']);
  }, 240_000);

  it('without credentials nothing gets in (the hello checks fail with 401 / 4401)', async () => {
    server = await startGeneratedServer({ users: true });
    const report = await runProbe({ spec: probeSpec(), url: server.url, timeoutMs: 2000, only: ['hello-fields'] });
    expect(report.failed).toBe(3);
    expect(failures(report)).toMatch(/unauthorized/);
  }, 60_000);

  it('the CLI: --header is repeatable and sent with every request; a malformed one is a usage error', async () => {
    server = await startGeneratedServer({ users: true });
    let out = '';
    let err = '';
    const io = { out: (t: string) => void (out += t), err: (t: string) => void (err += t) };
    expect(await main(['probe', server.url, '--header', 'Authorization: Bearer alice', '--header', 'X-Trace: 1', '--only', 'hello-fields', '--timeout', '2000'], io)).toBe(0);
    expect(out).toMatch(/3 checks passed/);
    expect(await main(['probe', server.url, '--header', 'no colon here'], io)).toBe(2);
    expect(err).toMatch(/--header takes 'Name: value'/);
  }, 60_000);
});
