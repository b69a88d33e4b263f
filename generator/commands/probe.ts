import { ContractError, formatFindings } from '../diagnostics.js';
import type { TransportKind } from '../model.js';
import { EXIT, EXIT_CODES_HELP, SPEC_OPTION, type Command } from './command.js';

const KINDS: readonly TransportKind[] = ['websocket', 'sse', 'poll'];

export const probeCommand: Command = {
  name: 'probe',
  summary: 'check a live server, generated or not, against the contract over every transport',
  help: `Usage: contractgen probe URL [--spec FILE] [--transports websocket,sse,poll] [--timeout MS] [--json]

Runs a conformance check of the server at URL (its origin, plus a path prefix if the contract
is mounted under one) against the contract. It speaks every transport the spec declares and
checks, each as a named result traced to a rule of the contract: the hello and version
negotiation (H1, H2), session ids and tokens (S1), seq stamping (Q1, Q2), exact replay on
resume (R2), the replay window and bad cursors (R3), SSE event ids (R4), refusals of unknown
sessions and wrong tokens that cannot be told apart (S3), no implicit or "default" session
(S2), and the windowed history reads (W1-W5). Every frame and history answer is validated
against the spec's own schemas.

The server must answer x-contract.conformance.trigger with x-contract.conformance.produces data
messages on the triggering session (a generated server: create it with conformance: true), and
hold the history logs x-contract.conformance.history names. The probe reads the spec, not
generated/: it works for servers contractgen did not generate.

Options:
  --spec FILE         the contract (default: "spec" of contractgen.config.json, else spec/protocol.schema.json)
  --transports LIST   comma-separated subset of websocket, sse, poll (default: all the spec declares)
  --timeout MS        how long to wait for any one answer or frame (default 5000)
  --json              print a JSON report instead of the table

${EXIT_CODES_HELP}
  For probe, 1 means at least one check failed (or the spec has errors or no conformance block).`,
  options: { ...SPEC_OPTION, transports: { type: 'string' }, timeout: { type: 'string', default: '5000' }, json: { type: 'boolean', default: false } },
  positionals: { min: 1, max: 1 },
  async run(values, positionals, io) {
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

    const [{ loadProbeSpec, ProbeSetupError }, { runProbe }, { formatJson, formatTable }] = await Promise.all([import('../probe/spec.js'), import('../probe/runner.js'), import('../probe/report.js')]);
    let spec: ReturnType<typeof loadProbeSpec>;
    try {
      const { resolveProject } = await import('../config.js');
      spec = loadProbeSpec(resolveProject({ spec: values.spec as string | undefined }).spec);
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
    const declared = spec.model.transports.map((t) => t.kind);
    const missing = (transports ?? []).filter((t) => !declared.includes(t));
    if (missing.length > 0) {
      io.err(`contractgen probe: the spec declares no ${missing.join(', ')} transport (it has ${declared.join(', ')})\n`);
      return EXIT.usage;
    }
    const report = await runProbe({ spec, url, ...(transports ? { transports } : {}), timeoutMs: timeout });
    io.out(values.json ? formatJson(report) : formatTable(report));
    return report.failed === 0 ? EXIT.ok : EXIT.failed;
  },
};
