import { ContractError, formatFindings, type Finding } from '../diagnostics.js';
import type { Io } from './command.js';

/** Warnings do not stop a build, but they are always shown. */
export function reportWarnings(findings: readonly Finding[], io: Io): void {
  const warnings = findings.filter((f) => f.severity === 'warning');
  if (warnings.length > 0) io.err(formatFindings(warnings) + '\n');
}

/** A result with contract errors ends the command the way a thrown ContractError always has (cli.ts prints it, exit 1). */
export function throwFindings(findings: readonly Finding[]): never {
  throw new ContractError(findings);
}
