/**
 * Diff stage 3 — schema diff: compare the JSON Schema of every message (matched by wire type) and
 * of every history endpoint (matched by name), and judge each difference PER DIRECTION:
 *
 * - client → server (messages clients send, history queries): servers validate with NEW while
 *   old clients still send what OLD allowed. Accepting more is additive; accepting less breaks.
 * - server → client (messages servers send, history responses): old clients validate with OLD
 *   what a NEW server sends. Sending less is additive; anything OLD would reject breaks — a new
 *   enum value, a removed required field, and a new field when OLD has additionalProperties: false.
 *
 * Messages and $defs entries that appear or disappear are reported here too: a $defs name is a
 * generated TypeScript type, so removing one breaks code that imports it even when no wire
 * format changes.
 */
import { escapePointerToken } from '../diagnostics.js';
import { isSchemaObject, type Schema } from '../schema-walk.js';
import { compareText, sameJson, type Change, type ChangeKind, type Direction } from './change.js';
import type { ContractView, HistoryView, MessageView } from './contract-view.js';
import { createSchemaComparer, type Effect, type SchemaFact } from './schema-compare.js';

/** What a difference means for a peer built against OLD, per direction (see the file comment). */
const KIND: Readonly<Record<Direction | 'both', Readonly<Record<Effect, ChangeKind>>>> = {
  'client-to-server': { wider: 'additive', narrower: 'breaking', incompatible: 'breaking', neutral: 'additive', annotation: 'doc-only' },
  'server-to-client': { wider: 'breaking', narrower: 'additive', incompatible: 'breaking', neutral: 'additive', annotation: 'doc-only' },
  both: { wider: 'breaking', narrower: 'breaking', incompatible: 'breaking', neutral: 'additive', annotation: 'doc-only' },
};

/** The generic "why", when a fact carries no wording of its own. `{n}` is message, request or response. */
const CONSEQUENCE: Readonly<Record<Direction | 'both', Readonly<Record<Effect, string>>>> = {
  'client-to-server': {
    wider: 'the server still accepts every {n} old clients send',
    narrower: 'a {n} an old client sends may now be rejected',
    incompatible: 'a {n} an old client sends may now be rejected',
    neutral: 'old clients are unaffected',
    annotation: 'documentation only; validation is unchanged',
  },
  'server-to-client': {
    wider: 'the server may now send a {n} that old clients reject',
    narrower: 'old clients accept every {n} the server now sends',
    incompatible: 'the server may now send a {n} that old clients reject',
    neutral: 'old clients are unaffected',
    annotation: 'documentation only; validation is unchanged',
  },
  both: {
    wider: 'no message or endpoint uses this schema, so it is judged for both directions: one side may reject what the other produces',
    narrower: 'no message or endpoint uses this schema, so it is judged for both directions: one side may reject what the other produces',
    incompatible: 'no message or endpoint uses this schema, so it is judged for both directions: one side may reject what the other produces',
    neutral: 'no peer is affected',
    annotation: 'documentation only; validation is unchanged',
  },
};

interface Subject {
  readonly message?: string;
  readonly endpoint?: string;
  readonly direction?: Direction;
  /** message, request or response — the noun of the generic consequence. */
  readonly noun: string;
}

/** Every schema-level change between two contracts, unsorted (contract-diff.ts sorts). */
export function diffSchemas(oldC: ContractView, newC: ContractView): Change[] {
  const comparer = createSchemaComparer(oldC.root, newC.root);
  const out: Change[] = [];
  const push = (subject: Subject, facts: readonly SchemaFact[]): void => {
    for (const f of facts) out.push(factToChange(f, subject));
  };

  // ── the document itself ────────────────────────────────────────────────────────────────────
  for (const k of ['title', 'description', '$id']) {
    if (sameJson(oldC.root[k], newC.root[k])) continue;
    const side = k in newC.root ? 'new' : 'old';
    const why = k === '$id' ? `the document's identifier changed from ${JSON.stringify(oldC.root[k])} to ${JSON.stringify(newC.root[k])}; generated validators are keyed by it, the wire is not` : 'documentation only';
    out.push({ kind: 'doc-only', code: `document-${k.replace('$', '')}-changed`, pointer: `/${k}`, side, category: 'schema', reason: `${k} of the contract changed: ${why}` });
  }
  if (!sameJson(oldC.root.$schema, newC.root.$schema)) {
    out.push({ kind: 'breaking', code: 'dialect-changed', pointer: '/$schema', side: '$schema' in newC.root ? 'new' : 'old', category: 'schema', reason: `$schema changed from ${JSON.stringify(oldC.root.$schema)} to ${JSON.stringify(newC.root.$schema)}: a different JSON Schema dialect can validate the same schemas differently` });
  }

  // ── messages, by wire type ─────────────────────────────────────────────────────────────────
  for (const [type, m] of oldC.messages) {
    if (!newC.messages.has(type)) out.push(messageRemoved(m, newC));
  }
  for (const [type, m] of newC.messages) {
    const before = oldC.messages.get(type);
    if (!before) {
      out.push(messageAdded(m, oldC));
      continue;
    }
    const direction = m.direction ?? before.direction;
    push({ message: type, ...(direction ? { direction } : {}), noun: 'message' }, comparer.compare(before.schema, before.pointer, m.schema, m.pointer));
  }

  // ── history endpoints, by name (added, removed, path changes: semantics-diff.ts) ─────────
  for (const [name, h] of newC.history) {
    const before = oldC.history.get(name);
    if (before) out.push(...diffEndpoint(comparer, before, h));
  }

  // ── $defs entries: generated types, and schemas no message or endpoint uses ─────────────
  out.push(...diffDefs(comparer, oldC, newC, push));
  return out;
}

function factToChange(f: SchemaFact, s: Subject): Change {
  const key = s.direction ?? 'both';
  const why = ((s.direction && f.why?.[s.direction]) ?? CONSEQUENCE[key][f.effect]).replace(/\{n\}/g, s.noun);
  return {
    kind: KIND[key][f.effect],
    code: f.code,
    pointer: f.pointer,
    side: f.side,
    category: 'schema',
    ...(s.message ? { messages: [s.message] } : {}),
    ...(s.endpoint ? { endpoint: s.endpoint } : {}),
    ...(s.direction ? { direction: s.direction } : {}),
    reason: `${f.what}: ${why}`,
  };
}

function arrow(d: Direction | undefined): string {
  return d === 'client-to-server' ? 'client→server' : d === 'server-to-client' ? 'server→client' : 'message';
}

function messageRemoved(m: MessageView, newC: ContractView): Change {
  const retyped = [...newC.messages.values()].find((x) => x.defName === m.defName);
  const why =
    m.direction === 'client-to-server'
      ? 'old clients that send it now get unknown_type'
      : m.direction === 'server-to-client'
        ? 'old clients that wait for it or handle it never receive it again'
        : 'peers built against the old contract still use it';
  return {
    kind: 'breaking',
    code: 'message-removed',
    pointer: m.pointer,
    side: 'old',
    category: 'schema',
    messages: [m.type],
    ...(m.direction ? { direction: m.direction } : {}),
    reason: `${arrow(m.direction)} message removed: ${why}${retyped ? ` (the schema ${m.defName} now declares ${retyped.type})` : ''}`,
  };
}

function messageAdded(m: MessageView, oldC: ContractView): Change {
  const base = { code: 'message-added', pointer: m.pointer, side: 'new' as const, category: 'schema' as const, messages: [m.type], ...(m.direction ? { direction: m.direction } : {}) };
  const was = [...oldC.messages.values()].find((x) => x.defName === m.defName);
  const note = was ? ` (the schema ${m.defName} declared ${was.type} before)` : '';
  if (m.direction === 'client-to-server') {
    return { ...base, kind: 'additive', reason: `new client→server message: old clients never send it, and servers handle it${note}` };
  }
  // An old client's dispatcher validates every frame against the union it was built with: an
  // unknown type is dropped as invalid (and its seq consumed), so the feature silently fails.
  return {
    ...base,
    kind: 'breaking',
    reason: `new ${arrow(m.direction)} message: old clients reject a frame of an unknown type as invalid, so it is breaking unless the server never sends it to them${note}`,
  };
}

function refOf(block: Schema, key: string): string | undefined {
  const v = block[key];
  return isSchemaObject(v) && typeof v.$ref === 'string' ? v.$ref : undefined;
}

function diffEndpoint(comparer: ReturnType<typeof createSchemaComparer>, o: HistoryView, n: HistoryView): Change[] {
  const out: Change[] = [];
  const subject = (part: string, direction: Direction, noun: string): Subject => ({ endpoint: `${n.name} ${part}`, direction, noun });
  const retarget = (key: string, s: Subject): void => {
    const a = refOf(o.block, key);
    const b = refOf(n.block, key);
    if (a !== undefined && b !== undefined && a !== b) {
      out.push({ kind: 'doc-only', code: 'schema-ref-changed', pointer: `${n.pointer}/${key}/$ref`, side: 'new', category: 'schema', endpoint: s.endpoint!, direction: s.direction!, reason: `${key} schema now ${b} (was ${a}); compared structurally, so only real differences are classified` });
    }
  };
  const add = (s: Subject, facts: readonly SchemaFact[]): void => {
    for (const f of facts) out.push(factToChange(f, s));
  };

  // What clients send: the query and the path parameters.
  const query = subject('query', 'client-to-server', 'request');
  retarget('query', query);
  if (o.block.query !== undefined || n.block.query !== undefined) add(query, comparer.compare(o.block.query, `${o.pointer}/query`, n.block.query, `${n.pointer}/query`));
  const op = isSchemaObject(o.block.pathParams) ? o.block.pathParams : {};
  const np = isSchemaObject(n.block.pathParams) ? n.block.pathParams : {};
  const path = subject('path', 'client-to-server', 'request');
  for (const name of Object.keys(np).sort(compareText)) {
    if (name in op) add(path, comparer.compare(op[name], `${o.pointer}/pathParams/${escapePointerToken(name)}`, np[name], `${n.pointer}/pathParams/${escapePointerToken(name)}`));
  }

  // What servers send: the response and its items (one walk, so a shared item is seen once).
  const response = subject('response', 'server-to-client', 'response');
  const visited = new Set<string>();
  for (const key of ['response', 'item']) {
    retarget(key, response);
    if (o.block[key] !== undefined || n.block[key] !== undefined) add(response, comparer.compare(o.block[key], `${o.pointer}/${key}`, n.block[key], `${n.pointer}/${key}`, visited));
  }
  return out;
}

/** Names of the $defs entries a subtree references (directly). */
function refsIn(node: unknown, into: Set<string>): void {
  if (Array.isArray(node)) node.forEach((x) => refsIn(x, into));
  else if (isSchemaObject(node)) {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) into.add(decodeDefName(v.slice('#/$defs/'.length).split('/')[0]!));
      else refsIn(v, into);
    }
  }
}

function decodeDefName(token: string): string {
  let t = token;
  try {
    t = decodeURIComponent(token);
  } catch {
    // kept as written
  }
  return t.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** $defs entries reachable from a message or a history endpoint. */
function usedDefs(c: ContractView): Set<string> {
  const used = new Set<string>();
  const queue: string[] = [];
  const enqueue = (names: Set<string>): void => {
    for (const name of names) {
      if (!used.has(name)) {
        used.add(name);
        queue.push(name);
      }
    }
  };
  enqueue(new Set([...c.messages.values()].map((m) => m.defName)));
  const fromContract = new Set<string>();
  for (const h of c.history.values()) refsIn(h.block, fromContract);
  enqueue(fromContract);
  while (queue.length > 0) {
    const found = new Set<string>();
    refsIn(c.defs[queue.shift()!], found);
    enqueue(found);
  }
  return used;
}

function diffDefs(comparer: ReturnType<typeof createSchemaComparer>, oldC: ContractView, newC: ContractView, push: (s: Subject, f: readonly SchemaFact[]) => void): Change[] {
  const out: Change[] = [];
  const oldMessageDefs = new Map([...oldC.messages.values()].map((m) => [m.defName, m]));
  const newMessageDefs = new Map([...newC.messages.values()].map((m) => [m.defName, m]));
  const oldUsed = usedDefs(oldC);
  const newUsed = usedDefs(newC);
  for (const name of Object.keys(oldC.defs).sort(compareText)) {
    const pointer = `/$defs/${escapePointerToken(name)}`;
    if (name in newC.defs) {
      if (!oldUsed.has(name) && !newUsed.has(name)) push({ noun: 'value' }, comparer.compare(oldC.defs[name], pointer, newC.defs[name], pointer));
      continue;
    }
    const m = oldMessageDefs.get(name);
    if (m && !newC.messages.has(m.type)) continue; // reported as message-removed
    const renamed = m ? newC.messages.get(m.type) : undefined;
    const where = renamed ? ` (the message ${m!.type} is now ${renamed.defName})` : oldUsed.has(name) ? '' : ' (no message or endpoint used it)';
    out.push({ kind: 'breaking', code: 'def-removed', pointer, side: 'old', category: 'schema', reason: `$defs entry ${name} removed: the generated type ${name} is gone, so code that imports it no longer compiles${where}` });
  }
  for (const name of Object.keys(newC.defs).sort(compareText)) {
    if (name in oldC.defs) continue;
    const m = newMessageDefs.get(name);
    if (m && !oldC.messages.has(m.type)) continue; // reported as message-added
    out.push({ kind: 'additive', code: 'def-added', pointer: `/$defs/${escapePointerToken(name)}`, side: 'new', category: 'schema', reason: `$defs entry ${name} added: a new generated type${newUsed.has(name) ? '' : ' (no message or endpoint uses it yet)'}` });
  }
  return out;
}
