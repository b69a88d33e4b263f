/**
 * Property-based fuzzing (fast-check) of what turns client bytes into protocol values: the frame
 * parser, the history query parser, the cursor, version-list and request-target readers. Random
 * text and bytes, and structured mutations of valid frames; the properties are L1 (nothing
 * throws; every refusal is a typed protocol.error the spec accepts) and L2 (an answer does not
 * grow with the input). Seed and run count: settings.ts.
 */
import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contract } from '../../../generated/contract.js';
import { validateClientMessage, validateProtocolError, validateProtocolResumeFailed } from '../../../generated/validators.js';
import { parseVersionList } from '../../../runtime/frames.js';
import { matchHistoryPath, parseHistoryQuery } from '../../../runtime/server/history.js';
import { createServerCore, ERROR_STATUS } from '../../../runtime/server/server-core.js';
import { parseCursor, requestUrl } from '../../../runtime/server/transports/http-util.js';
import { protocolWith } from '../../support/contract.js';
import { PURE } from './settings.js';

const core = createServerCore({ ...protocolWith(contract), hooks: { onMessage: () => undefined } });

const SESSION = 'AAAAAAAAAAAAAAAAAAAAAA';
const VALID: readonly object[] = [
  { type: 'chat.send', header: { session_id: SESSION, request_id: 'r-1' }, payload: { conversation_id: 'c-1', text: 'hi' } },
  { type: 'ui.action', header: { session_id: SESSION, ack: 3 }, payload: { view_id: 'main', component_id: 'ok', action: 'click', value: { a: [1] } } },
  { type: 'protocol.ack', header: { session_id: SESSION }, payload: { last_seen_seq: 7 } },
  { type: 'protocol.resume', header: { session_id: SESSION }, payload: { resume_token: 'B'.repeat(43), last_seen_seq: 0 } },
];
const STATUSES = new Set(Object.values(ERROR_STATUS));

/** L1 + L2: the parser never throws; accepts only what the contract accepts; refuses with a small typed error. */
function checkParse(text: string): void {
  const r = core.parse(text);
  if (r.ok) {
    expect(validateClientMessage(JSON.parse(text)).ok).toBe(true);
    return;
  }
  expect(validateProtocolError(r.frame).ok, JSON.stringify(r.frame).slice(0, 300)).toBe(true);
  expect(STATUSES.has(r.status)).toBe(true);
  expect(JSON.stringify(r.frame).length).toBeLessThan(4096);
}

/** One edit of a JSON value at a random place: set, delete, or wrap deep. */
type Edit = { readonly path: readonly string[]; readonly kind: 'set' | 'delete' | 'deep'; readonly value: unknown };
const edit: fc.Arbitrary<Edit> = fc.record({
  path: fc.array(fc.oneof(fc.constantFrom('type', 'header', 'payload', 'session_id', 'request_id', 'ack', 'text', 'value', 'last_seen_seq', 'resume_token', '__proto__', 'constructor'), fc.string({ maxLength: 8 })), { minLength: 1, maxLength: 3 }),
  kind: fc.constantFrom('set', 'delete', 'deep'),
  value: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string({ unit: 'binary', maxLength: 300 }), fc.integer(), fc.double(), fc.constant(null)),
});

function apply(base: object, e: Edit): unknown {
  const root = structuredClone(base) as Record<string, unknown>;
  let node: Record<string, unknown> = root;
  // Own properties only: walking into `__proto__` would edit Object.prototype of the test itself.
  const own = (o: Record<string, unknown>, key: string, value: unknown): void => void Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  for (const key of e.path.slice(0, -1)) {
    const next = Object.hasOwn(node, key) ? node[key] : undefined;
    if (typeof next !== 'object' || next === null) own(node, key, {});
    node = Object.getOwnPropertyDescriptor(node, key)!.value as Record<string, unknown>;
  }
  const last = e.path[e.path.length - 1]!;
  if (e.kind === 'delete') delete node[last];
  else own(node, last, e.kind === 'set' ? e.value : DEEP_MARK);
  return root;
}

/** Nesting 5 000 deep goes in as text: building it as an object would overflow the test's own stack. */
const DEEP_MARK = '\u0000deep\u0000';
const DEEP = '['.repeat(5000) + ']'.repeat(5000);
const serialize = (value: unknown): string => JSON.stringify(value).split(JSON.stringify(DEEP_MARK)).join(DEEP);

describe('the frame parser (ServerCore.parse)', () => {
  it('random text, of any unicode, never throws and refuses with a typed error', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 2000 }), checkParse), PURE);
  });

  it('random bytes read as UTF-8 (what a socket hands over)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => checkParse(Buffer.from(bytes).toString('utf8'))), PURE);
  });

  it('random JSON values', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => checkParse(JSON.stringify(value) ?? 'null')), PURE);
  });

  it('valid frames with one to three structured mutations (a field set to anything, removed, nested 5 000 deep; prototype keys)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...VALID), fc.array(edit, { minLength: 1, maxLength: 3 }), (base, edits) => {
        const mutated = edits.reduce<unknown>((value, e) => (typeof value === 'object' && value !== null ? apply(value, e) : value), base);
        checkParse(serialize(mutated));
      }),
      PURE,
    );
  });

  it('valid frames cut at a random place (a truncated read)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...VALID), fc.nat(), (base, at) => {
        const text = JSON.stringify(base);
        checkParse(text.slice(0, at % text.length));
      }),
      PURE,
    );
  });
});

describe('the query and target readers', () => {
  it('parseHistoryQuery over random query strings: never throws; a window within its bounds, or an error naming a short parameter', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 400 }), fc.webQueryParameters()), fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }), (query, maxLimit) => {
        const r = parseHistoryQuery(new URLSearchParams(query), maxLimit === undefined ? {} : { maxLimit });
        if (r.ok) {
          expect(Number.isSafeInteger(r.query.sinceSeq) && r.query.sinceSeq >= 0).toBe(true);
          if (r.query.limit !== undefined) expect(r.query.limit).toBeLessThanOrEqual(maxLimit ?? Number.MAX_SAFE_INTEGER);
        } else {
          expect(r.parameter.length).toBeLessThanOrEqual(65);
          expect(r.error.length).toBeLessThan(400);
        }
      }),
      PURE,
    );
  });

  it('parseHistoryQuery with hostile parameters of the right names (huge, signed, exponent, hex, repeated)', () => {
    const value = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('0', '-0', '+1', '1e3', '0x10', '01', '9007199254740992', ' 1', '1 ', '１'), fc.bigInt().map(String));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('sinceSeq', 'beforeSeq', 'limit'), value), { maxLength: 4 }), (pairs) => {
        const r = parseHistoryQuery(new URLSearchParams(pairs), { maxLimit: 500 });
        if (!r.ok) return;
        for (const [name, raw] of pairs) expect(String(r.query[name as 'sinceSeq'] ?? raw)).toBe(raw); // only canonical decimals are read
      }),
      PURE,
    );
  });

  it('parseCursor and parseVersionList never throw; a cursor is a canonical safe integer', () => {
    fc.assert(
      fc.property(fc.option(fc.string({ unit: 'binary', maxLength: 40 }), { nil: null }), (value) => {
        const c = parseCursor(value);
        if (typeof c === 'number') expect(String(c)).toBe(value);
        parseVersionList(value);
      }),
      PURE,
    );
  });

  it('requestUrl never throws on any request target; what it reads is a URL of this server, or undefined', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.webPath(), fc.webUrl(), fc.constantFrom('//[', '*', 'http://[::1', '//[/poll', '/\\\\evil', '/%')), (target) => {
        const url = requestUrl({ url: target } as IncomingMessage);
        if (url && target.startsWith('/')) expect(url.origin).toBe('http://localhost');
      }),
      PURE,
    );
  });

  it('matchHistoryPath never throws; what it matches decodes to a non-empty value', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 100 }), fc.webPath()), (path) => {
        const params = matchHistoryPath('/conversations/{conversationId}', path);
        if (params) expect(params.conversationId!.length).toBeGreaterThan(0);
      }),
      PURE,
    );
  });
});

describe('resume requests through the core (the store is asked only with plausible ids)', () => {
  it('random session ids, tokens and cursors → a typed refusal, never a throw', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 600 }), fc.string({ unit: 'binary', maxLength: 600 }), fc.nat(), async (sessionId, token, lastSeenSeq) => {
        const attachment = { kind: 'websocket' as const, send() {}, heartbeat() {}, close() {} };
        const r = await core.resume(attachment, { sessionId, token, lastSeenSeq, versions: undefined, identity: { principal: undefined, owner: '', clientKey: 'fuzz' } });
        expect(r.ok).toBe(false);
        if (!r.ok) expect(validateProtocolResumeFailed(r.frame).ok).toBe(true);
      }),
      PURE,
    );
  });
});
