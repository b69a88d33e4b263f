/**
 * Probe stage 6 — report: the results as a table for a terminal (check, rule, transport,
 * result, short evidence; then every failure in full with the sentence it broke) or as JSON for
 * machines.
 */
import type { CheckResult, ProbeReport } from './runner.js';

const EVIDENCE_WIDTH = 64;

function cut(text: string, width: number): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length > width ? `${one.slice(0, width - 1)}…` : one;
}

function where(r: CheckResult): string {
  return r.transport ?? r.endpoint ?? '';
}

/** The terminal table. */
export function formatTable(report: ProbeReport): string {
  const header = ['check', 'rule', 'transport', 'result', 'evidence'];
  const rows = report.results.map((r) => [r.id, r.rule, where(r), r.ok ? 'pass' : 'FAIL', cut(r.evidence, EVIDENCE_WIDTH)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [
    `contractgen probe ${report.url}`,
    `contract ${report.contract.name} ${report.contract.version} (${report.spec}); transports ${report.transports.join(', ') || 'none'}`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
  ];
  const failures = report.results.filter((r) => !r.ok);
  if (failures.length > 0) {
    out.push('Failures:');
    for (const f of failures) {
      out.push(`  ${f.id} [${f.rule}] ${where(f)}`);
      out.push(`    ${f.sentence}`);
      out.push(`    ${f.evidence}`);
    }
    out.push('');
  }
  const seconds = (report.ms / 1000).toFixed(1);
  out.push(
    failures.length === 0
      ? `${report.results.length} checks passed (${seconds} s)`
      : `${report.results.length} checks: ${report.passed} passed, ${report.failed} failed (${seconds} s)`,
  );
  return `${out.join('\n')}\n`;
}

/** The JSON report: `{ ok, url, spec, contract, transports, passed, failed, ms, results }`. */
export function formatJson(report: ProbeReport): string {
  return `${JSON.stringify({ ok: report.failed === 0, ...report }, null, 2)}\n`;
}
