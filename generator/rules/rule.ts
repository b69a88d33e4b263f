/**
 * What a lint rule is: a readable sentence, the DESIGN.md rule it protects, and a check over the
 * raw (meta-valid) spec that returns what it found.
 */
import type { ContractLimits } from '../../runtime/limits.js';
import type { Severity } from '../diagnostics.js';
import { isSchemaObject, type Schema } from '../schema-walk.js';

export interface MessageDecl {
  readonly defName: string;
  readonly pointer: string;
  readonly schema: Schema;
  readonly type: string;
  readonly direction: 'server-to-client' | 'client-to-server';
  readonly role: 'data' | 'control';
}

/** The meta-valid x-contract block, as far as rules need it. */
export interface ContractBlock {
  readonly name: string;
  readonly version: string;
  readonly protocolVersions: readonly string[];
  readonly sequencing: { readonly origin: number };
  readonly session: { readonly ttlMs: number; readonly idBits?: number; readonly tokenBits?: number };
  readonly replayWindow: { readonly maxMessages: number; readonly maxBytes: number };
  readonly heartbeatMs: number;
  readonly maxFrameBytes: number;
  readonly capabilities?: readonly string[];
  readonly transports: Readonly<Record<string, { readonly path: string; readonly messagesPath?: string; readonly holdMs?: number }>>;
  readonly history?: readonly HistoryBlock[];
  readonly conformance?: ConformanceBlock;
  /** L2: bounds of a server; missing ones take the runtime's defaults. */
  readonly limits?: Partial<ContractLimits>;
}

/** x-contract.conformance: how `contractgen probe` makes a server produce data. */
export interface ConformanceBlock {
  readonly trigger: { readonly type: string; readonly payload: Readonly<Record<string, unknown>> };
  readonly produces: number;
  readonly history?: readonly { readonly endpoint: string; readonly params: Readonly<Record<string, string>>; readonly minItems: number }[];
}

export interface HistoryBlock {
  readonly name: string;
  readonly summary?: string;
  readonly path: string;
  readonly pathParams?: Readonly<Record<string, Schema>>;
  readonly query: { readonly $ref: string };
  readonly response: { readonly $ref: string };
  readonly item: { readonly $ref: string };
  readonly maxLimit?: number;
}

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

export function messagesOf(root: Schema): MessageDecl[] {
  const defs = isSchemaObject(root.$defs) ? root.$defs : {};
  const out: MessageDecl[] = [];
  for (const [defName, schema] of Object.entries(defs)) {
    if (!isSchemaObject(schema) || !isSchemaObject(schema['x-message'])) continue;
    const meta = schema['x-message'] as { type: string; direction: MessageDecl['direction']; role: MessageDecl['role'] };
    out.push({ defName, pointer: `/$defs/${defName}`, schema, type: meta.type, direction: meta.direction, role: meta.role });
  }
  return out.sort((a, b) => a.type.localeCompare(b.type));
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
};
