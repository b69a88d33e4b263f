/**
 * Probe stage 6 — report: the results as a table for a terminal (check, rule, statement,
 * transport, result, short evidence; then every failure in full with the sentence it broke) or as
 * JSON for machines; and the catalogue of checks for --list.
 */
import type { CatalogueEntry } from './checks.js';
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
  const header = ['check', 'rule', 'statement', 'transport', 'result', 'evidence'];
  const rows = report.results.map((r) => [r.id, r.rule, r.statement, where(r), r.status === 'fail' ? 'FAIL' : r.status, cut(r.evidence, EVIDENCE_WIDTH)]);
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
  const failures = report.results.filter((r) => r.status === 'fail');
  if (failures.length > 0) {
    out.push('Failures:');
    for (const f of failures) {
      out.push(`  ${f.id} [${f.statement}] ${where(f)}`);
      out.push(`    ${f.sentence}`);
      out.push(`    ${f.evidence}`);
    }
    out.push('');
  }
  const seconds = (report.ms / 1000).toFixed(1);
  const skipped = report.skipped > 0 ? `, ${report.skipped} skipped` : '';
  out.push(
    failures.length === 0
      ? `${report.passed} checks passed${skipped} (${seconds} s)`
      : `${report.results.length} checks: ${report.passed} passed, ${report.failed} failed${skipped} (${seconds} s)`,
  );
  return `${out.join('\n')}\n`;
}

/**
 * The JSON report (stable; fields are only ever added): `{ ok, url, spec, contract, transports,
 * results, passed, failed, skipped, ms }`, each result `{ id, rule, statement, sentence,
 * transport | endpoint, status: "pass" | "fail" | "skip", ok, evidence, ms }`.
 */
export function formatJson(report: ProbeReport): string {
  return `${JSON.stringify({ ok: report.failed === 0, ...report }, null, 2)}\n`;
}

/** `probe --list`: every check with its rule, statement and where it runs. */
export function formatCatalogue(entries: readonly CatalogueEntry[], json: boolean): string {
  if (json) return `${JSON.stringify(entries, null, 2)}\n`;
  const header = ['check', 'rule', 'statement', 'runs on', 'sentence'];
  const rows = entries.map((e) => [e.id, e.rule, e.statement, e.where.join(','), e.sentence]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return `${[line(header), line(widths.map((w) => '-'.repeat(Math.min(w, 60)))), ...rows.map(line), '', `${entries.length} checks`].join('\n')}\n`;
}
