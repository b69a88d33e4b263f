/**
 * The generated validators, run: every example of the spec passes its own validator and the
 * dispatcher of its direction; crafted bad frames fail with the offending field as a JSON pointer
 * and the keyword that failed.
 */
import { describe, expect, it } from 'vitest';
import * as generated from '../generated/validators.js';
import { describeIssues, type Validator } from '../generated/runtime/validation.js';
import { canonicalSpec } from './helpers.js';

const spec = canonicalSpec();
const validators = generated as unknown as Readonly<Record<string, Validator<unknown> | undefined>>;
const { validateServerMessage, validateClientMessage } = generated;

interface Declared {
  readonly defName: string;
  readonly examples: readonly unknown[];
  readonly message?: { readonly type: string; readonly direction: 'server-to-client' | 'client-to-server' };
}

const declared: Declared[] = Object.entries(spec.$defs as Record<string, { examples?: unknown[]; 'x-message'?: Declared['message'] }>).map(([defName, def]) => ({
  defName,
  examples: def.examples ?? [],
  ...(def['x-message'] ? { message: def['x-message'] } : {}),
}));
const messages = declared.filter((d) => d.message);
const historyDefs = ['HistoryQuery', 'HistoryChunk', 'ConversationHistoryResponse'];

/** The first example of a $defs entry, deep-copied so a case can mutate it. */
// Cases edit arbitrary JSON.
function example(defName: string, index = 0): any {
  const d = declared.find((x) => x.defName === defName);
  if (!d || d.examples.length <= index) throw new Error(`test bug: ${defName} has no example ${index}`);
  return structuredClone(d.examples[index]);
}

function edit(defName: string, mutate: (frame: any) => void): unknown {
  const frame = example(defName);
  mutate(frame);
  return frame;
}

describe('examples of the spec', () => {
  it('cover every message and every history schema', () => {
    expect(messages.length).toBeGreaterThanOrEqual(11);
    for (const d of [...messages, ...declared.filter((x) => historyDefs.includes(x.defName))]) {
      expect(d.examples.length, d.defName).toBeGreaterThan(0);
      expect(validators[`validate${d.defName}`], d.defName).toBeTypeOf('function');
    }
  });

  const cases = declared
    .filter((d) => d.message || historyDefs.includes(d.defName))
    .flatMap((d) => d.examples.map((e, i) => [`${d.defName} example ${i}`, d, e] as const));

  it.each(cases)('%s validates with its own validator', (_name, d, value) => {
    const validate = validators[`validate${d.defName}`]!;
    const result = validate(value);
    expect(result.ok ? [] : result.issues).toEqual([]);
    expect(validate.is(value)).toBe(true);
    expect(validate.subject).toBe(d.message?.type ?? d.defName);
  });

  it.each(cases.filter(([, d]) => d.message))('%s validates through the dispatcher of its direction only', (_name, d, value) => {
    const [mine, other] = d.message!.direction === 'server-to-client' ? [validateServerMessage, validateClientMessage] : [validateClientMessage, validateServerMessage];
    expect(mine(value)).toEqual({ ok: true, value });
    const wrong = other(value);
    expect(wrong.ok).toBe(false);
    if (!wrong.ok) expect(wrong.issues[0]).toMatchObject({ path: '/type', keyword: 'unknown-type' });
  });

  it('the dispatchers list exactly the messages of their direction', () => {
    const of = (direction: string) => messages.filter((m) => m.message!.direction === direction).map((m) => m.message!.type).sort();
    expect(validateServerMessage.types).toEqual(of('server-to-client'));
    expect(validateClientMessage.types).toEqual(of('client-to-server'));
  });
});

interface BadCase {
  readonly name: string;
  readonly validator: Validator<unknown>;
  readonly value: unknown;
  readonly path: string;
  readonly keyword: string;
  /** Text the first issue's message must contain. */
  readonly says?: string;
}

const SESSION = 'q3Jt0Yz8uVbK2mXw5LcP9a';
const astral = '\u{1F600}'; // one code point, two UTF-16 code units

const badCases: readonly BadCase[] = [
  // Q1: data messages carry seq, control messages never do.
  { name: 'ui.render without header.seq', validator: validateServerMessage, value: edit('UiRender', (f) => delete f.header.seq), path: '/header/seq', keyword: 'required', says: 'is required' },
  { name: 'ui.render with seq 0', validator: validateServerMessage, value: edit('UiRender', (f) => (f.header.seq = 0)), path: '/header/seq', keyword: 'minimum', says: 'must be >= 1' },
  { name: 'ui.render with seq 1.5', validator: validateServerMessage, value: edit('UiRender', (f) => (f.header.seq = 1.5)), path: '/header/seq', keyword: 'type', says: 'must be integer' },
  { name: 'ui.render with seq "3"', validator: validateServerMessage, value: edit('UiRender', (f) => (f.header.seq = '3')), path: '/header/seq', keyword: 'type' },
  { name: 'ui.render with seq beyond 2^53 - 1', validator: validateServerMessage, value: edit('UiRender', (f) => (f.header.seq = 2 ** 53)), path: '/header/seq', keyword: 'maximum' },
  { name: 'ui.render with an extra header field', validator: validateServerMessage, value: edit('UiRender', (f) => (f.header.ack = 1)), path: '/header/ack', keyword: 'additionalProperties', says: 'is not allowed here' },
  { name: 'protocol.hello with header.seq', validator: validateServerMessage, value: edit('ProtocolHello', (f) => (f.header.seq = 1)), path: '/header/seq', keyword: 'additionalProperties' },
  { name: 'ui.action with header.seq (client messages are never sequenced)', validator: validateClientMessage, value: edit('UiAction', (f) => (f.header.seq = 3)), path: '/header/seq', keyword: 'additionalProperties' },
  // S1/S5: session identity.
  { name: 'chat.send without header.session_id', validator: validateClientMessage, value: edit('ChatSend', (f) => delete f.header.session_id), path: '/header/session_id', keyword: 'required' },
  { name: 'ui.render with a session_id that is too short', validator: validateServerMessage, value: edit('UiRender', (f) => (f.header.session_id = 'default')), path: '/header/session_id', keyword: 'pattern' },
  { name: 'ui.action with a session_id that is not URL-safe', validator: validateClientMessage, value: edit('UiAction', (f) => (f.header.session_id = `${SESSION}/../x`)), path: '/header/session_id', keyword: 'pattern' },
  // Dispatching.
  { name: 'an unknown type on the client dispatcher', validator: validateClientMessage, value: { type: 'ui.hover', header: { session_id: SESSION }, payload: {} }, path: '/type', keyword: 'unknown-type', says: '"ui.hover" is not a client-to-server message' },
  { name: 'a prototype key as type', validator: validateClientMessage, value: { type: '__proto__', header: {}, payload: {} }, path: '/type', keyword: 'unknown-type' },
  { name: 'a non-object frame', validator: validateServerMessage, value: 'ui.render', path: '', keyword: 'not-a-message' },
  { name: 'null', validator: validateClientMessage, value: null, path: '', keyword: 'not-a-message' },
  { name: 'an array frame', validator: validateServerMessage, value: [example('UiRender')], path: '', keyword: 'not-a-message' },
  { name: 'a type that is not a string', validator: validateServerMessage, value: { type: 7, header: {}, payload: {} }, path: '/type', keyword: 'not-a-message' },
  { name: 'a frame of the right shape under the wrong validator', validator: generated.validateUiPatch, value: example('UiRender'), path: '/type', keyword: 'const', says: 'must be "ui.patch"' },
  { name: 'ui.render without payload', validator: validateServerMessage, value: edit('UiRender', (f) => delete f.payload), path: '/payload', keyword: 'required' },
  // Payloads.
  { name: 'ui.action with an action outside the enum', validator: validateClientMessage, value: edit('UiAction', (f) => (f.payload.action = 'hover')), path: '/payload/action', keyword: 'enum', says: 'must be one of "click", "submit", "change"' },
  { name: 'ui.patch with no ops', validator: validateServerMessage, value: edit('UiPatch', (f) => (f.payload.ops = [])), path: '/payload/ops', keyword: 'minItems' },
  { name: 'ui.patch with an op path that is not a pointer', validator: validateServerMessage, value: edit('UiPatch', (f) => (f.payload.ops[0].path = 'children/0')), path: '/payload/ops/0/path', keyword: 'pattern' },
  { name: 'ui.patch with an unknown op', validator: validateServerMessage, value: edit('UiPatch', (f) => (f.payload.ops[0].op = 'move')), path: '/payload/ops/0/op', keyword: 'enum' },
  { name: 'ui.render with a nested node missing component', validator: validateServerMessage, value: edit('UiRender', (f) => delete f.payload.root.children[0].component), path: '/payload/root/children/0/component', keyword: 'required' },
  { name: 'ui.render with a deeply nested bad node id', validator: validateServerMessage, value: edit('UiRender', (f) => (f.payload.root.children[1].children = [{ id: 'a b', component: 'Text' }])), path: '/payload/root/children/1/children/0/id', keyword: 'pattern' },
  { name: 'agent.event with an unknown kind', validator: validateServerMessage, value: edit('AgentEvent', (f) => (f.payload.kind = 'thinking')), path: '/payload/kind', keyword: 'enum' },
  { name: 'protocol.hello with a duplicate transport (uniqueItems, runtime jsonEqual)', validator: validateServerMessage, value: edit('ProtocolHello', (f) => (f.payload.transports = ['websocket', 'sse', 'websocket'])), path: '/payload/transports', keyword: 'uniqueItems' },
  { name: 'protocol.hello with an unsupported protocol version', validator: validateServerMessage, value: edit('ProtocolHello', (f) => (f.payload.protocol_version = '2.0')), path: '/payload/protocol_version', keyword: 'enum' },
  { name: 'protocol.hello without resume_token', validator: validateServerMessage, value: edit('ProtocolHello', (f) => delete f.payload.resume_token), path: '/payload/resume_token', keyword: 'required' },
  { name: 'protocol.hello with replay_window.max_messages 0', validator: validateServerMessage, value: edit('ProtocolHello', (f) => (f.payload.replay_window.max_messages = 0)), path: '/payload/replay_window/max_messages', keyword: 'minimum' },
  { name: 'chat.send with text over maxLength 32768', validator: validateClientMessage, value: edit('ChatSend', (f) => (f.payload.text = 'x'.repeat(32769))), path: '/payload/text', keyword: 'maxLength', says: 'must NOT have more than 32768 characters' },
  { name: 'chat.send with 32769 astral characters', validator: validateClientMessage, value: edit('ChatSend', (f) => (f.payload.text = astral.repeat(32769))), path: '/payload/text', keyword: 'maxLength' },
  { name: 'protocol.resume without resume_token', validator: validateClientMessage, value: edit('ProtocolResume', (f) => delete f.payload.resume_token), path: '/payload/resume_token', keyword: 'required' },
  { name: 'protocol.resume with a resume_token that is too short', validator: validateClientMessage, value: edit('ProtocolResume', (f) => (f.payload.resume_token = 'short-token')), path: '/payload/resume_token', keyword: 'pattern' },
  { name: 'protocol.resume with last_seen_seq -1', validator: validateClientMessage, value: edit('ProtocolResume', (f) => (f.payload.last_seen_seq = -1)), path: '/payload/last_seen_seq', keyword: 'minimum' },
  { name: 'protocol.ack with a negative last_seen_seq', validator: validateClientMessage, value: edit('ProtocolAck', (f) => (f.payload.last_seen_seq = -5)), path: '/payload/last_seen_seq', keyword: 'minimum', says: 'must be >= 0' },
  { name: 'protocol.ack with header.ack as a string', validator: validateClientMessage, value: edit('ProtocolAck', (f) => (f.header.ack = '44')), path: '/header/ack', keyword: 'type' },
  { name: 'protocol.resume_failed with an unknown reason', validator: validateServerMessage, value: edit('ProtocolResumeFailed', (f) => (f.payload.reason = 'partial_replay')), path: '/payload/reason', keyword: 'enum' },
  { name: 'protocol.resumed with from_seq 0', validator: validateServerMessage, value: edit('ProtocolResumed', (f) => (f.payload.from_seq = 0)), path: '/payload/from_seq', keyword: 'minimum' },
  { name: 'protocol.error with an unknown code', validator: validateServerMessage, value: edit('ProtocolError', (f) => (f.payload.code = 'oops')), path: '/payload/code', keyword: 'enum' },
  { name: 'protocol.heartbeat with an unknown payload field', validator: validateServerMessage, value: edit('ProtocolHeartbeat', (f) => (f.payload.seq = 45)), path: '/payload/seq', keyword: 'additionalProperties' },
  // History (W1–W4).
  { name: 'a history query with limit 0', validator: generated.validateHistoryQuery, value: { sinceSeq: 0, limit: 0 }, path: '/limit', keyword: 'minimum' },
  { name: 'a history query with beforeSeq 0', validator: generated.validateHistoryQuery, value: { beforeSeq: 0 }, path: '/beforeSeq', keyword: 'minimum' },
  { name: 'a history query with sinceSeq -1', validator: generated.validateHistoryQuery, value: { sinceSeq: -1 }, path: '/sinceSeq', keyword: 'minimum' },
  { name: 'a history query with an unknown parameter', validator: generated.validateHistoryQuery, value: { cursor: 3 }, path: '/cursor', keyword: 'additionalProperties' },
  { name: 'a history response chunk with seq 0', validator: generated.validateConversationHistoryResponse, value: edit('ConversationHistoryResponse', (f) => (f.chunks[0].seq = 0)), path: '/chunks/0/seq', keyword: 'minimum' },
  { name: 'a history response without latestSeq', validator: generated.validateConversationHistoryResponse, value: edit('ConversationHistoryResponse', (f) => delete f.latestSeq), path: '/latestSeq', keyword: 'required' },
  { name: 'a history chunk with an unknown role', validator: generated.validateHistoryChunk, value: edit('HistoryChunk', (f) => (f.role = 'system')), path: '/role', keyword: 'enum' },
  { name: 'a history chunk without seq', validator: generated.validateHistoryChunk, value: edit('HistoryChunk', (f) => delete f.seq), path: '/seq', keyword: 'required' },
];

describe('bad frames', () => {
  it('has enough cases', () => expect(badCases.length).toBeGreaterThanOrEqual(24));

  it.each(badCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = c.validator(c.value);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.length).toBeGreaterThan(0);
    expect(result.issues[0]).toMatchObject({ path: c.path, keyword: c.keyword });
    if (c.says) expect(result.issues[0]!.message).toContain(c.says);
    expect(c.validator.is(c.value)).toBe(false);
    // The one-line description names the field.
    expect(describeIssues(result)).toContain(`${c.path || '/'} `);
  });
});

describe('string lengths count code points (ucs2length)', () => {
  it('accepts 32768 astral characters (65536 UTF-16 code units)', () => {
    const text = astral.repeat(32768);
    expect(text.length).toBe(65536);
    expect(validateClientMessage(edit('ChatSend', (f) => (f.payload.text = text))).ok).toBe(true);
  });

  it('accepts exactly 32768 BMP characters', () => {
    expect(validateClientMessage(edit('ChatSend', (f) => (f.payload.text = 'é'.repeat(32768)))).ok).toBe(true);
  });
});

describe('results', () => {
  it('ok results hand back the same value, typed', () => {
    const frame = example('UiAction');
    const result = generated.validateUiAction(frame);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.value).toBe(frame);
      expect(result.value.payload.action).toBe('click');
    }
  });

  it('failures name the message type and read as one line', () => {
    const result = validateClientMessage(edit('UiAction', (f) => (f.payload.component_id = 7)));
    expect(result).toMatchObject({ ok: false, type: 'ui.action' });
    if (!result.ok) expect(describeIssues(result)).toBe('ui.action: /payload/component_id must be string');
  });

  it('validators do not keep state between calls', () => {
    const bad = edit('UiRender', (f) => delete f.header.seq);
    const good = example('UiRender');
    expect(validateServerMessage(bad).ok).toBe(false);
    expect(validateServerMessage(good).ok).toBe(true);
    expect(validateServerMessage(bad).ok).toBe(false);
  });
});
