/**
 * `contractgen probe` against an application that authenticates (A1): without credentials every
 * request is refused; `--header` is parsed and sent (the full run with `--header` and
 * `--other-header`, the A2 checks included, is in probe.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../generator/cli.js';
import { runProbe } from '../../generator/probe/runner.js';
import { failures, probeSpec, startGeneratedServer, type RunningServer } from './helpers.js';

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('probe against an authenticating server', () => {
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
