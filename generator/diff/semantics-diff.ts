/**
 * Diff stage 4 — semantics diff: the protocol parameters of x-contract and x-message that no
 * schema comparison sees (the replay window, the session TTL, transports, history endpoints, the
 * role of a message, …). Each rule below is one readable sentence; `contractgen diff --help`
 * lists them.
 */
import { escapePointerToken } from '../diagnostics.js';
import { deref, isSchemaObject, propertySchema, type Schema } from '../schema-walk.js';
import { compareText, sameJson, type Change, type ChangeKind } from './change.js';
import { numberAt, stringAt, stringsAt, valueAt, type ContractView, type HistoryView, type MessageView } from './contract-view.js';
import { diffLimits } from './limits-diff.js';

export interface SemanticRule {
  /** What the rule decides, as one sentence. */
  readonly sentence: string;
  diff(o: ContractView, n: ContractView): Change[];
}

const TRANSPORTS = ['websocket', 'sse', 'poll'] as const;

/** One semantics change. `pointer` is in NEW unless `side` says OLD (something removed). */
function change(kind: ChangeKind, code: string, pointer: string, reason: string, extra: Partial<Change> = {}): Change {
  return { kind, code, pointer, side: 'new', category: 'semantics', reason, ...extra };
}

/**
 * A number whose decrease breaks and whose increase is additive (or the other way round). Missing
 * on one side: declared now is additive, no longer declared is breaking (peers relied on it).
 */
function compareNumber(
  o: ContractView,
  n: ContractView,
  path: readonly string[],
  code: string,
  smaller: ChangeKind,
  say: { label: string; unit?: string; smaller: string; larger: string },
): Change[] {
  const a = numberAt(o.contract, ...path);
  const b = numberAt(n.contract, ...path);
  const pointer = `/x-contract/${path.map(escapePointerToken).join('/')}`;
  if (a === b) return [];
  const unit = say.unit ? ` ${say.unit}` : '';
  if (a === undefined) return [change('additive', `${code}-declared`, pointer, `${say.label} is now declared (${b}${unit})`)];
  if (b === undefined) return [change('breaking', `${code}-undeclared`, pointer, `${say.label} (${a}${unit}) is no longer declared: peers built against the old contract rely on it`, { side: 'old' })];
  const shrinks = b < a;
  const kind: ChangeKind = shrinks ? smaller : smaller === 'breaking' ? 'additive' : 'breaking';
  return [change(kind, `${code}-${shrinks ? 'lowered' : 'raised'}`, pointer, `${say.label} ${shrinks ? 'lowered' : 'raised'} from ${a} to ${b}${unit}: ${shrinks ? say.smaller : say.larger}`.replace(/\{old\}/g, String(a)).replace(/\{new\}/g, String(b)))];
}

/** Items added to / removed from a list of strings. */
function compareList(o: ContractView, n: ContractView, key: string, code: string, say: { removed: (v: string) => string; added: (v: string) => string }): Change[] {
  const a = stringsAt(o.contract, key);
  const b = stringsAt(n.contract, key);
  const out: Change[] = [];
  a.forEach((v, i) => {
    if (!b.includes(v)) out.push(change('breaking', `${code}-removed`, `/x-contract/${key}/${i}`, say.removed(v), { side: 'old' }));
  });
  b.forEach((v, i) => {
    if (!a.includes(v)) out.push(change('additive', `${code}-added`, `/x-contract/${key}/${i}`, say.added(v)));
  });
  return out;
}

export const semanticRules: readonly SemanticRule[] = [
  {
    sentence: 'A renamed contract is breaking: generated server and client names derive from it.',
    diff(o, n) {
      if (o.name === undefined || n.name === undefined || o.name === n.name) return [];
      return [change('breaking', 'contract-renamed', '/x-contract/name', `contract renamed from ${o.name} to ${n.name}: generated server and client type names derive from it, so code that uses them no longer compiles`)];
    },
  },
  {
    sentence: 'H2: a removed protocol version is breaking; an added one is additive.',
    diff: (o, n) =>
      compareList(o, n, 'protocolVersions', 'protocol-version', {
        removed: (v) => `protocol version ${v} removed: clients that speak only ${v} now get unsupported_version (H2)`,
        added: (v) => `protocol version ${v} added: only clients that offer it negotiate it (H2)`,
      }),
  },
  {
    sentence: 'Q2: a changed seq origin is breaking.',
    diff(o, n) {
      const a = numberAt(o.contract, 'sequencing', 'origin');
      const b = numberAt(n.contract, 'sequencing', 'origin');
      if (a === b || a === undefined || b === undefined) return compareNumberPresence(a, b, '/x-contract/sequencing/origin', 'seq origin');
      return [change('breaking', 'seq-origin-changed', '/x-contract/sequencing/origin', `seq origin changed from ${a} to ${b}: clients derive cursors, gaps and "older items exist" from the first seq (Q2, R4, W4)`)];
    },
  },
  {
    sentence: 'S4: a shorter session TTL is breaking; a longer one is additive.',
    diff: (o, n) =>
      compareNumber(o, n, ['session', 'ttlMs'], 'session-ttl', 'breaking', {
        label: 'session TTL',
        unit: 'ms',
        smaller: 'a client that reconnects later than {new} ms after losing its transport now gets session_expired instead of a resume (S4)',
        larger: 'sessions outlive their transport longer; every resume that worked still works',
      }),
  },
  {
    sentence: 'S1: fewer random bits in session ids or resume tokens is breaking; more is additive.',
    diff: (o, n) => [
      ...compareNumber(o, n, ['session', 'idBits'], 'session-id-bits', 'breaking', {
        label: 'session id entropy',
        unit: 'bits',
        smaller: 'a weaker guarantee than the one peers were promised (S1)',
        larger: 'longer ids; the SessionId pattern decides whether old clients accept them',
      }),
      ...compareNumber(o, n, ['session', 'tokenBits'], 'resume-token-bits', 'breaking', {
        label: 'resume token entropy',
        unit: 'bits',
        smaller: 'a weaker guarantee than the one peers were promised (S1)',
        larger: 'longer tokens; the ResumeToken pattern decides whether old clients accept them',
      }),
    ],
  },
  {
    sentence: 'R3: a smaller replay window (messages or bytes) is breaking; a larger one is additive.',
    diff: (o, n) => [
      ...compareNumber(o, n, ['replayWindow', 'maxMessages'], 'replay-window-messages', 'breaking', {
        label: 'replay window',
        unit: 'messages',
        smaller: 'a client that relied on resuming after missing up to {old} messages now gets resume_failed window_exceeded (R3)',
        larger: 'every resume that worked still works, and longer gaps can be replayed',
      }),
      ...compareNumber(o, n, ['replayWindow', 'maxBytes'], 'replay-window-bytes', 'breaking', {
        label: 'replay window',
        unit: 'bytes',
        smaller: 'a resume that fit in {old} bytes of missed messages may now get resume_failed window_exceeded (R3)',
        larger: 'every resume that worked still works, and longer gaps can be replayed',
      }),
    ],
  },
  {
    sentence: 'H1: a heartbeat change is additive: protocol.hello announces heartbeat_ms and clients size their watchdog from it.',
    diff(o, n) {
      const a = numberAt(o.contract, 'heartbeatMs');
      const b = numberAt(n.contract, 'heartbeatMs');
      if (a === b || a === undefined || b === undefined) return compareNumberPresence(a, b, '/x-contract/heartbeatMs', 'heartbeat interval');
      // Not doc-only: the traffic changes. Not breaking: generated clients take the interval from
      // protocol.hello (H1), so an old client adapts when it connects.
      const caveat = b > a ? '; a hand-written client with a fixed silence timeout under 2 × the new interval would drop idle connections' : '';
      return [change('additive', b > a ? 'heartbeat-raised' : 'heartbeat-lowered', '/x-contract/heartbeatMs', `heartbeat interval changed from ${a} to ${b} ms: protocol.hello announces heartbeat_ms and generated clients size their watchdog from it, so old clients adapt when they connect${caveat}`)];
    },
  },
  {
    sentence: 'A lower maxFrameBytes is breaking; a higher one is additive.',
    diff: (o, n) =>
      compareNumber(o, n, ['maxFrameBytes'], 'max-frame-bytes', 'breaking', {
        label: 'maxFrameBytes',
        unit: 'bytes',
        smaller: 'a frame between the two sizes, valid before, is now rejected with frame_too_large',
        larger: 'every frame that fitted still fits (generated clients do not limit the frames they receive)',
      }),
  },
  {
    sentence: 'L2: a lower limit is breaking where a peer within the old bound is now refused (sessions, inbound bytes, frames per POST, error frames, buffered bytes); a higher one, and any change of maxPollBytes, is additive. An undeclared limit is its default.',
    diff: diffLimits,
  },
  {
    sentence: 'A removed capability is breaking; an added one is additive.',
    diff: (o, n) =>
      compareList(o, n, 'capabilities', 'capability', {
        removed: (v) => `capability "${v}" removed: clients that rely on it lose it`,
        added: (v) => `capability "${v}" added: old clients ignore it`,
      }),
  },
  {
    sentence: 'S5: a removed transport or a moved transport path is breaking, an added transport additive; a longer poll hold is breaking, a shorter one additive.',
    diff(o, n) {
      const out: Change[] = [];
      for (const t of TRANSPORTS) {
        const a = valueAt(o.contract, 'transports', t);
        const b = valueAt(n.contract, 'transports', t);
        const pointer = `/x-contract/transports/${t}`;
        if (a === undefined && b === undefined) continue;
        if (b === undefined) {
          out.push(change('breaking', 'transport-removed', pointer, `transport ${t} removed: clients that connect over it fail`, { side: 'old' }));
          continue;
        }
        if (a === undefined) {
          out.push(change('additive', 'transport-added', pointer, `transport ${t} added: old clients keep using the transports they know`));
          continue;
        }
        for (const key of ['path', 'messagesPath']) {
          const x = stringAt(a, key);
          const y = stringAt(b, key);
          if (x === y) continue;
          out.push(change('breaking', 'transport-path-changed', `${pointer}/${key}`, `${t} ${key} changed from ${x ?? '(none)'} to ${y ?? '(none)'}: old clients use the old path and fail`, y === undefined ? { side: 'old' } : {}));
        }
        const x = numberAt(a, 'holdMs');
        const y = numberAt(b, 'holdMs');
        if (x !== undefined && y !== undefined && x !== y) {
          out.push(
            y > x
              ? change('breaking', 'poll-hold-raised', `${pointer}/holdMs`, `poll hold raised from ${x} to ${y} ms: old poll clients size their watchdog from the hold they were built with (hold + 2 heartbeats) and drop held polls; proxies with shorter timeouts abort them`)
              : change('additive', 'poll-hold-lowered', `${pointer}/holdMs`, `poll hold lowered from ${x} to ${y} ms: empty polls return sooner and clients simply poll again`),
          );
        }
      }
      return out;
    },
  },
  {
    sentence: 'W1: a removed or moved history endpoint is breaking; an added one is additive; a changed summary is documentation only.',
    diff(o, n) {
      const out: Change[] = [];
      for (const [name, h] of o.history) {
        if (!n.history.has(name)) out.push(change('breaking', 'history-removed', h.pointer, `history endpoint ${name} (${h.path ?? '?'}) removed: old clients that read it get 404`, { side: 'old', endpoint: name }));
      }
      for (const [name, h] of n.history) {
        const before = o.history.get(name);
        if (!before) {
          out.push(change('additive', 'history-added', h.pointer, `new history endpoint ${name} (${h.path ?? '?'}): old clients never call it`, { endpoint: name }));
          continue;
        }
        if (before.path !== h.path) {
          const shape = (p: string | undefined) => (p ?? '').replace(/\{[^}]*\}/g, '{}');
          out.push(
            shape(before.path) === shape(h.path)
              ? change('doc-only', 'history-path-param-renamed', `${h.pointer}/path`, `path parameter renamed (${before.path} → ${h.path}): the URLs are unchanged`, { endpoint: name })
              : change('breaking', 'history-path-changed', `${h.pointer}/path`, `history path moved from ${before.path ?? '(none)'} to ${h.path ?? '(none)'}: old clients request the old URL and get 404`, { endpoint: name }),
          );
        }
        if (before.summary !== h.summary) out.push(change('doc-only', 'history-summary-changed', `${h.pointer}/summary`, 'summary changed: documentation only', { endpoint: name, ...(h.summary === undefined ? { side: 'old' as const, pointer: `${before.pointer}/summary` } : {}) }));
      }
      return out;
    },
  },
  {
    sentence: 'W2: a new or lower maxLimit is breaking (valid requests now get 400); a higher or removed one is additive.',
    diff(o, n) {
      const out: Change[] = [];
      for (const [name, h] of n.history) {
        const before = o.history.get(name);
        if (!before || before.maxLimit === h.maxLimit) continue;
        const a = before.maxLimit;
        const b = h.maxLimit;
        const pointer = `${h.pointer}/maxLimit`;
        const extra = { endpoint: name };
        if (b === undefined) out.push(change('additive', 'max-limit-removed', `${before.pointer}/maxLimit`, `maxLimit ${a} removed: every limit accepted before is still accepted`, { ...extra, side: 'old' }));
        else if (a === undefined && !acceptsLimit(o, before)) out.push(change('additive', 'max-limit-added', pointer, `maxLimit ${b} added together with the limit parameter: no old request carries a limit, so none exceeds it`, extra));
        else if (a === undefined) out.push(change('breaking', 'max-limit-added', pointer, `maxLimit ${b} added: requests with limit above ${b}, valid before, now get 400 (W2)`, extra));
        else if (b < a) out.push(change('breaking', 'max-limit-lowered', pointer, `maxLimit lowered from ${a} to ${b}: requests with limit between the two, valid before, now get 400 (W2)`, extra));
        else out.push(change('additive', 'max-limit-raised', pointer, `maxLimit raised from ${a} to ${b}: every limit accepted before is still accepted`, extra));
      }
      return out;
    },
  },
  {
    sentence: 'Q1/C4: a message whose direction or role (data ↔ control) changes is breaking, and so is a reply (x-message.reply) added, removed or changed; a changed summary is documentation only.',
    diff(o, n) {
      const out: Change[] = [];
      for (const [type, m] of n.messages) {
        const before = o.messages.get(type);
        if (before) out.push(...messageSemantics(before, m));
      }
      return out;
    },
  },
  {
    sentence: 'A changed x-contract.conformance block is documentation only: it tells `contractgen probe` how to make a server produce data, and peers never see it.',
    diff(o, n) {
      const a = valueAt(o.contract, 'conformance');
      const b = valueAt(n.contract, 'conformance');
      if (sameJson(a, b)) return [];
      const what = a === undefined ? 'added' : b === undefined ? 'removed' : 'changed';
      return [change('doc-only', `conformance-${what}`, '/x-contract/conformance', `conformance block ${what}: it only drives \`contractgen probe\` and the generated server's opt-in conformance mode, not what peers send or accept`, b === undefined ? { side: 'old' } : {})];
    },
  },
];

function messageSemantics(a: MessageView, b: MessageView): Change[] {
  const out: Change[] = [];
  const at = (key: string) => `${b.pointer}/x-message/${key}`;
  const extra = { messages: [b.type], ...(b.direction ? { direction: b.direction } : {}) };
  if (a.direction && b.direction && a.direction !== b.direction) {
    out.push(change('breaking', 'message-direction-changed', at('direction'), `direction changed from ${a.direction} to ${b.direction}: old peers send it, or expect it, the other way`, extra));
  }
  if (a.role && b.role && a.role !== b.role) {
    const why =
      b.direction === 'client-to-server'
        ? `servers now route it to the ${b.role === 'control' ? 'protocol kernel instead of application handlers' : 'application handlers instead of the protocol kernel'} (Q1)`
        : b.role === 'control'
          ? 'no longer sequenced (no header.seq, not replayed on resume), which breaks old clients that track its seq (Q1)'
          : 'now sequenced (header.seq, replayed on resume), which old clients do not expect of it (Q1)';
    out.push(change('breaking', 'message-role-changed', at('role'), `role changed from ${a.role} to ${b.role}: ${why}`, extra));
  }
  if (a.reply !== b.reply) {
    const why =
      a.reply === undefined
        ? `reply ${b.reply} added: handlers must now return it, and clients built against the old contract get a reply they do not await (C4)`
        : b.reply === undefined
          ? `reply ${a.reply} removed: clients built against the old contract wait for a reply that never comes (C4)`
          : `reply changed from ${a.reply} to ${b.reply}: clients built against the old contract wait for a ${a.reply} that never comes (C4)`;
    const code = a.reply === undefined ? 'message-reply-added' : b.reply === undefined ? 'message-reply-removed' : 'message-reply-changed';
    out.push(change('breaking', code, b.reply === undefined ? `${a.pointer}/x-message` : at('reply'), why, { ...extra, ...(b.reply === undefined ? { side: 'old' as const } : {}) }));
  }
  if (a.summary !== b.summary) {
    out.push(change('doc-only', 'message-summary-changed', b.summary === undefined ? `${a.pointer}/x-message/summary` : at('summary'), 'summary changed: documentation only', { ...extra, ...(b.summary === undefined ? { side: 'old' as const } : {}) }));
  }
  return out;
}

/** A value that is only declared on one side (a spec that fails lint may omit it). */
function compareNumberPresence(a: number | undefined, b: number | undefined, pointer: string, label: string): Change[] {
  if (a === b) return [];
  if (a === undefined) return [change('additive', 'parameter-declared', pointer, `${label} is now declared (${b})`)];
  if (b === undefined) return [change('breaking', 'parameter-undeclared', pointer, `${label} (${a}) is no longer declared: peers built against the old contract rely on it`, { side: 'old' })];
  return [];
}

/** Did the OLD query of an endpoint declare a `limit` parameter at all? */
function acceptsLimit(c: ContractView, h: HistoryView): boolean {
  const query = h.block.query;
  if (!isSchemaObject(query)) return false;
  const resolved = deref(c.root, query as Schema, `${h.pointer}/query`);
  if (!resolved) return true; // cannot tell: assume it did (the conservative reading)
  return propertySchema(c.root, resolved.schema, resolved.pointer, 'limit') !== undefined;
}

/** Every semantics change between two contracts, unsorted (contract-diff.ts sorts). */
export function diffSemantics(o: ContractView, n: ContractView): Change[] {
  return semanticRules.flatMap((r) => r.diff(o, n)).sort((x, y) => compareText(x.pointer, y.pointer));
}
