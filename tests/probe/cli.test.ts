/**
 * `contractgen probe` as a command: the table and the JSON report, exit 0 when every check
 * passes and 1 when one fails, usage errors (exit 2) for a bad URL, transport list or timeout,
 * and a spec without a conformance block refused before anything is probed. Most run `main()`
 * in process; one runs the compiled CLI (`npm run build:cli` first) as users do.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { main } from '../../generator/cli.js';
import { canonicalSpec, removeTempDirs, runCli, serialize, tempDir } from '../helpers.js';
import { startReferenceServer } from './reference/server.js';
import { FAST_TIMERS, startGeneratedServer } from './helpers.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});
afterAll(removeTempDirs);

async function run(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['probe', ...args], { out: (t) => (stdout += t), err: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe('contractgen probe', () => {
  it('prints a table of passing checks and exits 0 against the generated server', async () => {
    const server = await startGeneratedServer();
    closers.push(server.close);
    const r = await run([server.url, '--transports', 'websocket,poll', '--timeout', '2000', '--skip', 'S4,Q4']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`contractgen probe ${server.url}`);
    expect(lines[1]).toBe('contract agent-ui 4.0.0 (spec/protocol.schema.json); transports websocket, poll');
    expect(lines[3]).toMatch(/^check +rule +statement +transport +result +evidence$/);
    expect(r.stdout).toMatch(/^hello-fields +H1 +H1\.1 +websocket +pass +1\.1, latest_seq 0/m);
    expect(r.stdout).toMatch(/^resume-window-exceeded +R3 +R3\.1 +poll +pass +cursor 0 after 1010 → window_exceeded, earliest_seq 11/m);
    expect(r.stdout).toMatch(/^history-400-limit-zero +W2 +W2\.1 +conversationHistory +pass/m);
    expect(r.stdout).not.toMatch(/ sse /);
    expect(r.stdout).not.toMatch(/^(session-expired|heartbeat-arrives) /m);
    expect(r.stdout).toMatch(/^\d+ checks passed \(\d+\.\d s\)\n$/m);
    expect(r.stdout).not.toContain('Failures:');
  }, 60_000);

  it('reports failures with rule, sentence and evidence, as JSON too, and exits 1', async () => {
    const server = await startReferenceServer(['limit-zero-accepted'], { ttlMs: FAST_TIMERS.sessionTtlMs, heartbeatMs: FAST_TIMERS.heartbeatMs, holdMs: FAST_TIMERS.pollHoldMs });
    closers.push(server.close);
    const timers = ['--timers', `ttl=${FAST_TIMERS.sessionTtlMs},heartbeat=${FAST_TIMERS.heartbeatMs},hold=${FAST_TIMERS.pollHoldMs}`];
    const table = await run([server.url, '--transports', 'poll', '--timeout', '1000', ...timers]);
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/^history-400-limit-zero +W2 +W2\.1 +conversationHistory +FAIL +\?limit=0 → HTTP 200 with 120 items; expected 400 naming limit$/m);
    expect(table.stdout).toContain('Failures:\n  history-400-limit-zero [W2.1] conversationHistory\n    Limit=0 is answered with HTTP 400 { "error", "parameter": "limit" }.\n');
    expect(table.stdout).toMatch(/checks: \d+ passed, 1 failed/);

    const json = await run([server.url, '--transports', 'poll', '--timeout', '1000', '--json', ...timers]);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { ok: boolean; failed: number; skipped: number; transports: string[]; results: { id: string; rule: string; statement: string; status: string; ok: boolean; transport?: string; endpoint?: string; evidence: string; sentence: string }[] };
    expect(report.ok).toBe(false);
    expect(report.failed).toBe(1);
    expect(report.skipped).toBe(0);
    expect(report.transports).toEqual(['poll']);
    expect(report.results.filter((x) => !x.ok)).toEqual([
      expect.objectContaining({ id: 'history-400-limit-zero', rule: 'W2', statement: 'W2.1', status: 'fail', endpoint: 'conversationHistory', evidence: expect.stringContaining('HTTP 200') }),
    ]);
    expect(report.results.filter((x) => x.transport === 'poll').every((x) => x.ok && x.status === 'pass')).toBe(true);
  }, 60_000);

  it('--list prints the catalogue: id, rule, statement and transports of every check (--json too)', async () => {
    const table = await run(['--list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^check +rule +statement +runs on +sentence$/m);
    expect(table.stdout).toMatch(/^post-wrong-token-like-unknown +S3 +S3\.3 +sse,poll +A POSTed frame/m);
    expect(table.stdout).toMatch(/^history-404 +W2 +W2\.3 +history +/m);
    expect(table.stdout).toMatch(/^\d{3} checks$/m);
    const json = await run(['--list', '--json']);
    const list = JSON.parse(json.stdout) as { id: string; rule: string; statement: string; where: string[] }[];
    expect(list.find((c) => c.id === 'sse-last-event-id')).toEqual(expect.objectContaining({ rule: 'R1', statement: 'R1.3', where: ['sse'] }));
  });

  it('--only and --skip select checks by id, rule or statement', async () => {
    const server = await startGeneratedServer();
    closers.push(server.close);
    const only = JSON.parse((await run([server.url, '--only', 'hello-fields,R3.3,W2.3', '--json', '--transports', 'websocket'])).stdout) as { results: { id: string }[] };
    expect(only.results.map((r) => r.id)).toEqual(['hello-fields', 'resume-invalid-cursor', 'history-404']);
    const skip = JSON.parse((await run([server.url, '--only', 'H2', '--skip', 'H2.3,version-list-blanks', '--json', '--transports', 'sse'])).stdout) as { results: { id: string }[] };
    expect(skip.results.map((r) => r.id)).toEqual(['version-negotiation', 'version-none-named', 'resume-negotiates']);
  }, 60_000);

  it.each([
    [['--only', 'no-such-check'], 'no check is named no-such-check'],
    [['--timers', 'ttl=soon'], '--timers takes ttl=MS,heartbeat=MS,hold=MS'],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const r = await run(['http://127.0.0.1:1', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it.each([
    [[], 'expected 1 argument(s), got 0'],
    [['not a url'], 'is not a URL'],
    [['ws://127.0.0.1:1'], 'must be http: or https:'],
    [['http://127.0.0.1:1', '--transports', 'websocket,pigeon'], 'not pigeon'],
    [['http://127.0.0.1:1', '--timeout', 'soon'], '--timeout must be a whole number of milliseconds'],
    [['http://127.0.0.1:1', '--colour'], "Unknown option '--colour'"],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });

  it('refuses a spec without x-contract.conformance, or with errors, before probing (exit 1)', async () => {
    const dir = tempDir('contractgen-probe-');
    const bare = canonicalSpec();
    delete bare['x-contract'].conformance;
    writeFileSync(join(dir, 'bare.json'), serialize(bare));
    const a = await run(['http://127.0.0.1:1', '--spec', join(dir, 'bare.json')]);
    expect(a.code).toBe(1);
    expect(a.stderr).toContain('has no x-contract.conformance block, so the probe cannot make a server produce data');

    const broken = canonicalSpec();
    broken['x-contract'].conformance.trigger.type = 'chat.sent';
    writeFileSync(join(dir, 'broken.json'), serialize(broken));
    const b = await run(['http://127.0.0.1:1', '--spec', join(dir, 'broken.json')]);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain('[conformance-trigger-message]');
    expect(b.stderr).toContain('nothing was probed');
  });

  it('fails every check with the network error when nothing listens there', async () => {
    const r = await run(['http://127.0.0.1:1', '--transports', 'sse', '--timeout', '300', '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { passed: number; results: { evidence: string }[] };
    expect(report.passed).toBe(0);
    expect(report.results[0]!.evidence).toMatch(/ECONNREFUSED|could not be opened/);
  }, 60_000);

  it('runs as the compiled CLI, and --help documents it', async () => {
    const server = await startGeneratedServer();
    closers.push(server.close);
    const r = await runCli(['probe', server.url, '--transports', 'sse', '--timeout', '2000', '--only', 'R4,Q2']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^sse-event-ids +R4 +R4\.1 +sse +pass/m);
    const help = await runCli(['probe', '--help']);
    expect(help.code).toBe(0);
    for (const option of ['--spec FILE', '--transports LIST', '--timeout MS', '--only LIST', '--skip LIST', '--timers LIST', '--list', '--json']) expect(help.stdout).toContain(option);
    const top = await runCli(['--help']);
    expect(top.stdout).toMatch(/^  probe +check a live server/m);
  }, 60_000);
});
