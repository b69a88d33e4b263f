import { ContractError, formatFindings } from '../diagnostics.js';
import type { TransportKind } from '../model.js';
import { EXIT, EXIT_CODES_HELP, SPEC_OPTION, type Command } from './command.js';

const KINDS: readonly TransportKind[] = ['websocket', 'sse', 'poll'];

export const probeCommand: Command = {
  name: 'probe',
  summary: 'check a live server, generated or not, against the contract over every transport',
  help: `Usage: contractgen probe URL [--spec FILE] [--transports websocket,sse,poll] [--timeout MS]
                      [--only LIST] [--skip LIST] [--timers ttl=MS,heartbeat=MS,hold=MS] [--json]
                      [--header 'Name: value']... [--other-header 'Name: value']...
       contractgen probe --list [--spec FILE] [--json]

Runs a conformance check of the server at URL (its origin, plus a path prefix if the contract
is mounted under one) against the contract's wire document (generated/docs/wire.md). It speaks
every transport the spec declares and checks every statement of that document that can be
observed from outside, each check named with its rule and statement number: sessions, ids and
tokens (S1-S4), frames, seq, heartbeats and acknowledgements (Q1-Q5), resume, the replay window
and cursors (R1-R4), the hello and version negotiation (H1, H2), typed errors and POST answers
(L1, L2), and the windowed history reads (W1-W5). Every frame and history answer is validated
against the spec's own schemas; statuses, bodies and close codes are read as wire.md defines them.

The server must answer x-contract.conformance.trigger with x-contract.conformance.produces data
messages on the triggering session (a generated server: create it with conformance: true), and
hold the history logs x-contract.conformance.history names. The probe reads the spec, not
generated/: it works for servers contractgen did not generate.

Checks that need to wait out the session TTL, a heartbeat or a poll hold are skipped (with the
reason) when the spec's timers are too long for a check; run the server with test timers (a
generated server: createXServer({ timers: { sessionTtlMs, heartbeatMs, pollHoldMs } })) and name
them with --timers.

Options:
  --spec FILE         the contract (default: "spec" of contractgen.config.json, else spec/protocol.schema.json)
  --transports LIST   comma-separated subset of websocket, sse, poll (default: all the spec declares)
  --timeout MS        how long to wait for any one answer or frame (default 5000)
  --only LIST         run only these checks: ids, rules (R3) or statements (R3.2), comma-separated
  --skip LIST         leave these checks out (same forms)
  --timers LIST       the test timers the server runs with: ttl=MS,heartbeat=MS,hold=MS (any of them)
  --header 'N: V'     a request header of the application's credentials (A1), sent with every request
                      and upgrade, e.g. --header 'Authorization: Bearer …' (repeatable)
  --other-header 'N: V'  the credentials of another principal (repeatable): with them the A2 checks
                      try to resume, poll and POST to a session of the first (skipped without them)
  --list              print the catalogue of checks (id, rule, statement, transports) and exit
  --json              print a JSON report (or catalogue) instead of the table; the report is
                      { ok, url, spec, contract, transports, results, passed, failed, skipped, ms },
                      each result { id, rule, statement, sentence, transport | endpoint, status, ok,
                      evidence, ms } with status "pass", "fail" or "skip"

${EXIT_CODES_HELP}
  For probe, 1 means at least one check failed (or the spec has errors or no conformance block).`,
  options: {
    ...SPEC_OPTION,
    transports: { type: 'string' },
    timeout: { type: 'string', default: '5000' },
    only: { type: 'string' },
    skip: { type: 'string' },
    timers: { type: 'string' },
    header: { type: 'string', multiple: true },
    'other-header': { type: 'string', multiple: true },
    list: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
  positionals: { min: 0, max: 1 },
  async run(values, positionals, io) {
    if (values.list) return list(values, io);
    if (positionals.length !== 1) {
      io.err(`contractgen probe: expected 1 argument(s), got ${positionals.length}; give the server's base URL, or --list\n`);
      return EXIT.usage;
    }
    const url = positionals[0]!;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      io.err(`contractgen probe: ${JSON.stringify(url)} is not a URL; give the server's base URL, e.g. http://127.0.0.1:8080\n`);
      return EXIT.usage;
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      io.err(`contractgen probe: the URL must be http: or https: (WebSocket URLs are derived from it), not ${parsed.protocol}\n`);
      return EXIT.usage;
    }
    const timeout = Number(values.timeout);
    if (!Number.isInteger(timeout) || timeout < 100) {
      io.err(`contractgen probe: --timeout must be a whole number of milliseconds, at least 100, not ${String(values.timeout)}\n`);
      return EXIT.usage;
    }
    let transports: TransportKind[] | undefined;
    if (typeof values.transports === 'string') {
      const list = values.transports.split(',').map((t) => t.trim()).filter(Boolean);
      const unknown = list.filter((t) => !(KINDS as readonly string[]).includes(t));
      if (list.length === 0 || unknown.length > 0) {
        io.err(`contractgen probe: --transports takes a comma-separated list of ${KINDS.join(', ')}${unknown.length ? `, not ${unknown.join(', ')}` : ''}\n`);
        return EXIT.usage;
      }
      transports = list as TransportKind[];
    }

    const headers = parseHeaders(values.header);
    const otherHeaders = parseHeaders(values['other-header']);
    if (typeof headers === 'string' || typeof otherHeaders === 'string') {
      io.err(`contractgen probe: ${typeof headers === 'string' ? headers : String(otherHeaders)}\n`);
      return EXIT.usage;
    }
    const timers = parseTimers(values.timers);
    if (typeof timers === 'string') {
      io.err(`contractgen probe: ${timers}\n`);
      return EXIT.usage;
    }
    const [{ runProbe }, { formatJson, formatTable }, { checks, selects }] = await Promise.all([import('../probe/runner.js'), import('../probe/report.js'), import('../probe/checks.js')]);
    const only = listOf(values.only);
    const skip = listOf(values.skip);
    const unknown = [...(only ?? []), ...(skip ?? [])].filter((s) => !checks.some((c) => selects(s, c)));
    if (unknown.length > 0) {
      io.err(`contractgen probe: no check is named ${unknown.join(', ')}; see contractgen probe --list\n`);
      return EXIT.usage;
    }
    const spec = await loadSpec(values.spec as string | undefined, io);
    if (typeof spec === 'number') return spec;
    const declared = spec.model.transports.map((t) => t.kind);
    const missing = (transports ?? []).filter((t) => !declared.includes(t));
    if (missing.length > 0) {
      io.err(`contractgen probe: the spec declares no ${missing.join(', ')} transport (it has ${declared.join(', ')})\n`);
      return EXIT.usage;
    }
    const report = await runProbe({ spec, url, ...(transports ? { transports } : {}), timeoutMs: timeout, ...(only ? { only } : {}), ...(skip ? { skip } : {}), ...(timers ? { timers } : {}), ...(headers ? { headers } : {}), ...(otherHeaders ? { otherHeaders } : {}) });
    io.out(values.json ? formatJson(report) : formatTable(report));
    return report.failed === 0 ? EXIT.ok : EXIT.failed;
  },
};

type Values = Parameters<Command['run']>[0];
type Io = Parameters<Command['run']>[2];

/** A comma-separated option as a list, or undefined when absent. */
function listOf(value: unknown): string[] | undefined {
  return typeof value === 'string' ? value.split(',').map((x) => x.trim()).filter(Boolean) : undefined;
}

/** `--header 'Name: value'` (repeatable) → headers, or the usage error. */
export function parseHeaders(value: unknown): Record<string, string> | undefined | string {
  if (value === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const line of Array.isArray(value) ? value : [value]) {
    const m = typeof line === 'string' ? /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):\s*(.*)$/.exec(line) : null;
    if (!m || /[\r\n]/.test(m[2]!)) return `--header takes 'Name: value' (an HTTP header on one line), not ${JSON.stringify(line)}`;
    out[m[1]!.toLowerCase()] = m[2]!.trim();
  }
  return out;
}

/** `ttl=1500,heartbeat=300,hold=400` → timers, or the usage error. */
export function parseTimers(value: unknown): { ttlMs?: number; heartbeatMs?: number; holdMs?: number } | undefined | string {
  if (typeof value !== 'string') return undefined;
  const names = { ttl: 'ttlMs', heartbeat: 'heartbeatMs', hold: 'holdMs' } as const;
  const out: { ttlMs?: number; heartbeatMs?: number; holdMs?: number } = {};
  for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [name, ms] = part.split('=');
    const n = Number(ms);
    if (!name || !(name in names) || !Number.isSafeInteger(n) || n <= 0) return `--timers takes ttl=MS,heartbeat=MS,hold=MS (positive whole milliseconds), not ${JSON.stringify(part)}`;
    out[names[name as keyof typeof names]] = n;
  }
  return out;
}

/** The probe spec (--spec, else the settings' spec), or the exit code after saying why it cannot be probed with. */
async function loadSpec(file: string | undefined, io: Io): Promise<import('../probe/spec.js').ProbeSpec | number> {
  const [{ loadProbeSpec, ProbeSetupError }, { resolveProject }] = await Promise.all([import('../probe/spec.js'), import('../config.js')]);
  try {
    return loadProbeSpec(resolveProject({ spec: file }).spec);
  } catch (err) {
    if (err instanceof ContractError) {
      io.err(`${formatFindings(err.findings)}\ncontractgen probe: the contract has ${err.findings.length} error(s); nothing was probed\n`);
      return EXIT.failed;
    }
    if (err instanceof ProbeSetupError) {
      io.err(`contractgen probe: ${err.message}\n`);
      return EXIT.failed;
    }
    throw err;
  }
}

/** `probe --list`: the catalogue for the spec's transports. */
async function list(values: Values, io: Io): Promise<number> {
  const spec = await loadSpec(values.spec as string | undefined, io);
  if (typeof spec === 'number') return spec;
  const [{ catalogue }, { formatCatalogue }] = await Promise.all([import('../probe/checks.js'), import('../probe/report.js')]);
  io.out(formatCatalogue(catalogue(spec.model.transports.map((t) => t.kind)), values.json === true));
  return EXIT.ok;
}
