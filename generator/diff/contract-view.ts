/**
 * Diff stage 2 — contract view: a lenient, structural reading of one spec. Unlike buildModel it
 * does not need a checked spec: every field may be missing or of the wrong type, and is then
 * simply absent from the view (an old revision may predate a lint rule).
 */
import { isSchemaObject, type Schema } from '../schema-walk.js';
import { escapePointerToken } from '../diagnostics.js';
import type { Direction } from './change.js';

export interface MessageView {
  readonly type: string;
  readonly defName: string;
  readonly pointer: string;
  readonly schema: Schema;
  readonly direction?: Direction;
  readonly role?: 'data' | 'control';
  /** C4: the x-message.type of the message that answers it. */
  readonly reply?: string;
  readonly summary?: string;
}

export interface HistoryView {
  readonly name: string;
  readonly index: number;
  readonly pointer: string;
  readonly block: Schema;
  readonly path?: string;
  readonly maxLimit?: number;
  readonly summary?: string;
}

export interface ContractView {
  readonly root: Schema;
  /** The x-contract block, or {} when it is missing. */
  readonly contract: Schema;
  readonly version?: string;
  readonly name?: string;
  /** By wire type. */
  readonly messages: ReadonlyMap<string, MessageView>;
  /** By endpoint name. */
  readonly history: ReadonlyMap<string, HistoryView>;
  readonly defs: Schema;
}

export function contractView(root: Schema): ContractView {
  const contract = isSchemaObject(root['x-contract']) ? root['x-contract'] : {};
  const defs = isSchemaObject(root.$defs) ? root.$defs : {};
  const messages = new Map<string, MessageView>();
  for (const [defName, schema] of Object.entries(defs)) {
    if (!isSchemaObject(schema) || !isSchemaObject(schema['x-message'])) continue;
    const meta = schema['x-message'];
    if (typeof meta.type !== 'string' || messages.has(meta.type)) continue;
    const direction = meta.direction === 'client-to-server' || meta.direction === 'server-to-client' ? meta.direction : undefined;
    const role = meta.role === 'data' || meta.role === 'control' ? meta.role : undefined;
    messages.set(meta.type, {
      type: meta.type,
      defName,
      pointer: `/$defs/${escapePointerToken(defName)}`,
      schema,
      ...(direction ? { direction } : {}),
      ...(role ? { role } : {}),
      ...(typeof meta.reply === 'string' ? { reply: meta.reply } : {}),
      ...(typeof meta.summary === 'string' ? { summary: meta.summary } : {}),
    });
  }
  const history = new Map<string, HistoryView>();
  const list = Array.isArray(contract.history) ? contract.history : [];
  list.forEach((block, index) => {
    if (!isSchemaObject(block) || typeof block.name !== 'string' || history.has(block.name)) return;
    history.set(block.name, {
      name: block.name,
      index,
      pointer: `/x-contract/history/${index}`,
      block,
      ...(typeof block.path === 'string' ? { path: block.path } : {}),
      ...(typeof block.maxLimit === 'number' ? { maxLimit: block.maxLimit } : {}),
      ...(typeof block.summary === 'string' ? { summary: block.summary } : {}),
    });
  });
  return {
    root,
    contract,
    ...(typeof contract.version === 'string' ? { version: contract.version } : {}),
    ...(typeof contract.name === 'string' ? { name: contract.name } : {}),
    messages,
    history,
    defs,
  };
}

/** A number at a path of plain keys, or undefined. */
export function numberAt(obj: unknown, ...keys: string[]): number | undefined {
  const v = valueAt(obj, ...keys);
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function stringAt(obj: unknown, ...keys: string[]): string | undefined {
  const v = valueAt(obj, ...keys);
  return typeof v === 'string' ? v : undefined;
}

export function valueAt(obj: unknown, ...keys: string[]): unknown {
  let node = obj;
  for (const k of keys) {
    if (!isSchemaObject(node)) return undefined;
    node = node[k];
  }
  return node;
}

/** The strings of an array (other items ignored), or [] when it is not an array. */
export function stringsAt(obj: unknown, ...keys: string[]): string[] {
  const v = valueAt(obj, ...keys);
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
