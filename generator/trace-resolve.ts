/**
 * The trace table (trace.ts) filled in for one contract: placeholders become the contract's own
 * names, and rows that do not apply to it (no history endpoint, no SSE) are left out.
 */
import type { ContractModel, MessageModel } from './model.js';
import { TRACE, type TraceRow } from './trace.js';

/** A row with its placeholders filled in for one contract. */
export type ResolvedTraceRow = TraceRow;

function messageRef(model: ContractModel, ref: string): MessageModel | undefined {
  switch (ref) {
    case '@data':
      return model.messages.find((m) => m.sequenced);
    case '@control':
      return model.messages.find((m) => m.direction === 'server-to-client' && !m.sequenced);
    case '@client':
      return model.messages.find((m) => m.direction === 'client-to-server');
    default:
      return model.messages.find((m) => m.type === ref);
  }
}

/** Splits `protocol.hello.session_id` into the message ref and the field (the last dot). */
function splitField(arg: string): [string, string] {
  const at = arg.lastIndexOf('.');
  return [arg.slice(0, at), arg.slice(at + 1)];
}

function placeholder(model: ContractModel, kind: string, arg: string): string | undefined {
  switch (kind) {
    case 'Prefix':
      return model.api.prefix;
    case 'message':
      return messageRef(model, arg)?.typeName;
    case 'header':
      return messageRef(model, arg)?.headerTypeName;
    case 'field': {
      const [ref, name] = splitField(arg);
      return messageRef(model, ref)?.payloadFields.find((f) => f.name === name)?.typeName;
    }
    case 'headerField': {
      const [ref, name] = splitField(arg);
      return messageRef(model, ref)?.headerFields.find((f) => f.name === name)?.typeName;
    }
    case 'history': {
      const h = model.history[0];
      if (!h) return undefined;
      return arg === 'query' ? h.queryTypeName : arg === 'response' ? h.responseTypeName : arg === 'item' ? h.itemTypeName : undefined;
    }
    default:
      throw new Error(`trace: unknown placeholder {${kind}${arg ? `:${arg}` : ''}} in generator/trace.ts`);
  }
}

function applies(model: ContractModel, when: TraceRow['when']): boolean {
  if (when === undefined) return true;
  if (when === 'history') return model.history.length > 0;
  if (when === 'http') return model.transports.some((t) => t.kind === 'sse' || t.kind === 'poll');
  return model.transports.some((t) => t.kind === when);
}

/** Fills the placeholders of every row; rows the contract cannot fill, or that do not apply to it, are left out. */
export function resolveTrace(model: ContractModel, rows: readonly TraceRow[] = TRACE): ResolvedTraceRow[] {
  const out: ResolvedTraceRow[] = [];
  for (const row of rows) {
    if (!applies(model, row.when)) continue;
    let unresolved = false;
    const symbol = row.symbol.replace(/\{(\w+)(?::([^}]*))?\}/g, (_all, kind: string, arg: string | undefined) => {
      const value = placeholder(model, kind, arg ?? '');
      if (value === undefined) unresolved = true;
      return value ?? '';
    });
    if (!unresolved) out.push({ ...row, symbol });
  }
  return out;
}
