/**
 * The spec as written, before the model: its `x-contract` block and its messages (`$defs` entries
 * with `x-message`). Lint rules read these; the model is built from them.
 *
 * The shape of a contract is declared once, by the runtime (`ContractDescriptor` in
 * runtime/contract.ts: what every generated `contract` constant must satisfy and the runtime reads
 * at run time). The block a spec writes is typed from it here — the few places where the spelling
 * differs (`sequencing.origin` for `seqOrigin`, history endpoints that name schemas) say so — and
 * the vocabulary meta-schema (spec/contract-vocabulary.schema.json) is held to this type by
 * tests/model/contract-block.test.ts.
 */
import type { ConformanceDescriptor, ContractDescriptor, Direction, HistoryDescriptor, Role } from '../../runtime/contract.js';
import { isSchemaObject, type Schema } from '../schema-walk.js';

/** The meta-valid x-contract block of a spec. */
export interface ContractBlock extends Pick<ContractDescriptor, 'name' | 'version' | 'protocolVersions' | 'replayWindow' | 'heartbeatMs' | 'maxFrameBytes' | 'transports' | 'limits'> {
  /** Written as a block; the descriptor's `seqOrigin`. */
  readonly sequencing: { readonly origin: ContractDescriptor['seqOrigin'] };
  /** The bits default to 128 and 256 (S1). */
  readonly session: Pick<ContractDescriptor['session'], 'ttlMs'> & Partial<ContractDescriptor['session']>;
  readonly capabilities?: ContractDescriptor['capabilities'];
  readonly history?: readonly HistoryBlock[];
  readonly conformance?: ConformanceBlock;
}

/** A history endpoint as written: the descriptor's fields, plus the schemas it names. */
export interface HistoryBlock extends Pick<HistoryDescriptor, 'name' | 'path' | 'maxLimit'> {
  readonly summary?: string;
  readonly pathParams?: Readonly<Record<string, Schema>>;
  readonly query: { readonly $ref: string };
  readonly response: { readonly $ref: string };
  readonly item: { readonly $ref: string };
}

/** x-contract.conformance as written: the samples come from the examples, the history logs are optional. */
export interface ConformanceBlock extends Pick<ConformanceDescriptor, 'produces'> {
  readonly trigger: { readonly type: string; readonly payload: Readonly<Record<string, unknown>> };
  readonly history?: ConformanceDescriptor['history'];
}

/** A message of the spec: a `$defs` entry with `x-message`. */
export interface MessageDecl {
  readonly defName: string;
  readonly pointer: string;
  readonly schema: Schema;
  readonly type: string;
  readonly direction: Direction;
  readonly role: Role;
  /** C4: the type of the data message that answers it (`x-message.reply`), when it declares one. */
  readonly reply?: string;
}

/** The x-contract block (call only once the meta-schema accepted it). */
export function contractBlock(root: Schema): ContractBlock {
  return root['x-contract'] as unknown as ContractBlock;
}

/** Every message of the spec, sorted by type. */
export function messagesOf(root: Schema): MessageDecl[] {
  const defs = isSchemaObject(root.$defs) ? root.$defs : {};
  const out: MessageDecl[] = [];
  for (const [defName, schema] of Object.entries(defs)) {
    if (!isSchemaObject(schema) || !isSchemaObject(schema['x-message'])) continue;
    const meta = schema['x-message'] as { type: string; direction: Direction; role: Role; reply?: string };
    out.push({ defName, pointer: `/$defs/${defName}`, schema, type: meta.type, direction: meta.direction, role: meta.role, ...(typeof meta.reply === 'string' ? { reply: meta.reply } : {}) });
  }
  return out.sort((a, b) => a.type.localeCompare(b.type));
}

/** Protocol versions (`major.minor`) in ascending order. */
export function compareVersions(a: string, b: string): number {
  const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
  return x[0]! - y[0]! || x[1]! - y[1]!;
}
