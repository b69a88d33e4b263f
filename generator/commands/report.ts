import { formatFindings, type Finding } from '../diagnostics.js';
import type { Io } from './command.js';

/** Warnings do not stop a build, but they are always shown. */
export function reportWarnings(findings: readonly Finding[], io: Io): void {
  const warnings = findings.filter((f) => f.severity === 'warning');
  if (warnings.length > 0) io.err(formatFindings(warnings) + '\n');
}
