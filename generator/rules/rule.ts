/**
 * What a lint rule is: a readable sentence, the DESIGN.md rule it protects, and a check over the
 * raw (meta-valid) spec that returns what it found.
 */
import type { ContractBlock, MessageDecl } from '../model/contract-block.js';
import type { Severity } from '../diagnostics.js';
import type { Schema } from '../schema-walk.js';

export type { ContractBlock, ConformanceBlock, HistoryBlock, MessageDecl } from '../model/contract-block.js';

export interface RuleContext {
  readonly root: Schema;
  readonly contract: ContractBlock;
  readonly messages: readonly MessageDecl[];
  /** Why Ajv cannot compile the $defs, when it cannot (G2: a finding, not a crash later). */
  readonly compileError?: string;
  /** Compiled validator for a schema under #/$defs (for examples). */
  validateDef(defName: string, value: unknown): { ok: true } | { ok: false; path: string; message: string };
}

export interface RuleHit {
  readonly pointer: string;
  readonly message: string;
  readonly hint: string;
  readonly severity?: Severity;
}

export interface LintRule {
  /** Stable id, used as the finding code. */
  readonly id: string;
  /** The DESIGN.md rule this protects. */
  readonly rule?: string;
  /** What must hold, as one sentence (listed by `contractgen lint --rules`). */
  readonly sentence: string;
  /**
   * A catch-all: its hits are dropped where another rule already reports an error at the same
   * place (the same pointer, or one inside the other), so one defect gives one finding.
   */
  readonly fallback?: boolean;
  check(ctx: RuleContext): RuleHit[];
}

/** The kernel every contract must define: type → direction and role. */
export const KERNEL_MESSAGES: Readonly<Record<string, { direction: MessageDecl['direction']; role: MessageDecl['role']; rule: string }>> = {
  'protocol.hello': { direction: 'server-to-client', role: 'control', rule: 'H1' },
  'protocol.resume': { direction: 'client-to-server', role: 'control', rule: 'R1' },
  'protocol.resumed': { direction: 'server-to-client', role: 'control', rule: 'R2' },
  'protocol.resume_failed': { direction: 'server-to-client', role: 'control', rule: 'R3' },
  'protocol.error': { direction: 'server-to-client', role: 'control', rule: 'S2' },
  'protocol.heartbeat': { direction: 'server-to-client', role: 'control', rule: 'Q4' },
  'protocol.ack': { direction: 'client-to-server', role: 'control', rule: 'Q5' },
  'protocol.received': { direction: 'server-to-client', role: 'control', rule: 'C2' },
};
