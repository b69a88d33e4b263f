/**
 * Differential validation: the generated Python validators (generated-py/agent_ui/validators.py)
 * and the TypeScript ones (generated/validators.ts, Ajv) get the same table — every example of the
 * spec and a set of crafted bad values — and must give the same verdict, the same first JSON
 * pointer and the same keyword for each. The table runs through one Python process.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ts from '../../generated/validators.js';
import type { Validator } from '../../generated/runtime/validation.js';
import { canonicalSpec } from '../helpers.js';
import { pythonDir, requireVenv, venvPython } from './helpers.js';

interface Row {
  readonly name: string;
  /** The TypeScript export; the Python name is its snake_case. */
  readonly validator: string;
  readonly value: unknown;
  /** Crafted rows say what they expect (an example is valid). */
  readonly valid?: boolean;
}

const snake = (name: string): string => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

const spec = canonicalSpec();
const defs = spec.$defs as Record<string, { examples?: unknown[]; 'x-message'?: { type: string; direction: string } }>;
const SID = 'q3Jt0Yz8uVbK2mXw5LcP9a';
const TOKEN = 'Vx7dQ2kL9pR4sT1uW8yZ3aB6cD0eF5gH2iJ7kL4mN9o';

/** Every example of every def that has a validator. */
function exampleRows(): Row[] {
  const rows: Row[] = [];
  for (const [def, schema] of Object.entries(defs).sort(([a], [b]) => a.localeCompare(b))) {
    const validator = `validate${def}`;
    if (!(validator in ts)) continue;
    (schema.examples ?? []).forEach((value, i) => rows.push({ name: `${def} example ${i + 1}`, validator, value, valid: true }));
    if (schema['x-message']) {
      const dispatcher = schema['x-message'].direction === 'client-to-server' ? 'validateClientMessage' : 'validateServerMessage';
      (schema.examples ?? []).forEach((value, i) => rows.push({ name: `${def} example ${i + 1} via ${dispatcher}`, validator: dispatcher, value, valid: true }));
    }
  }
  return rows;
}

const chat = (payload: unknown = { conversation_id: 'c-1', text: 'hi' }, header: unknown = { session_id: SID }): unknown => ({ type: 'chat.send', header, payload });
const render = (root: unknown): unknown => ({ type: 'ui.render', header: { session_id: SID, seq: 1 }, payload: { view_id: 'main', root } });
const hello = (patch: Record<string, unknown>): unknown => {
  const h = clone(defs.ProtocolHello!.examples![0]) as { payload: Record<string, unknown> };
  Object.assign(h.payload, patch);
  return h;
};

/** Crafted values: each names the rule of JSON Schema it exercises. */
const CRAFTED: readonly Row[] = [
  { name: 'not an object', validator: 'validateClientMessage', value: 'chat.send', valid: false },
  { name: 'an array', validator: 'validateClientMessage', value: [chat()], valid: false },
  { name: 'null', validator: 'validateClientMessage', value: null, valid: false },
  { name: 'no type', validator: 'validateClientMessage', value: { header: { session_id: SID }, payload: {} }, valid: false },
  { name: 'type not a string', validator: 'validateClientMessage', value: { type: 7, header: {}, payload: {} }, valid: false },
  { name: 'unknown type', validator: 'validateClientMessage', value: { type: 'chat.delete', header: { session_id: SID }, payload: {} }, valid: false },
  { name: 'server type sent by a client', validator: 'validateClientMessage', value: { type: 'ui.render', header: { session_id: SID }, payload: {} }, valid: false },
  { name: 'no header', validator: 'validateChatSend', value: { type: 'chat.send', payload: { conversation_id: 'c', text: 'x' } }, valid: false },
  { name: 'no session_id (S5)', validator: 'validateClientMessage', value: chat(undefined, {}), valid: false },
  { name: 'session_id "default" too short', validator: 'validateClientMessage', value: chat(undefined, { session_id: 'default' }), valid: false },
  { name: 'session_id with a slash', validator: 'validateChatSend', value: chat(undefined, { session_id: 'q3Jt0Yz8uVbK2mXw5LcP/a' }), valid: false },
  { name: 'session_id with a final newline ($ is the end in JavaScript)', validator: 'validateChatSend', value: chat(undefined, { session_id: `${SID}\n` }), valid: false },
  { name: 'session_id not a string', validator: 'validateChatSend', value: chat(undefined, { session_id: 12345 }), valid: false },
  { name: 'extra header field', validator: 'validateChatSend', value: chat(undefined, { session_id: SID, seq: 1 }), valid: false },
  { name: 'ack negative', validator: 'validateChatSend', value: chat(undefined, { session_id: SID, ack: -1 }), valid: false },
  { name: 'ack 2.5', validator: 'validateChatSend', value: chat(undefined, { session_id: SID, ack: 2.5 }), valid: false },
  { name: 'ack 2.0 is an integer', validator: 'validateChatSend', value: JSON.parse(`{"type":"chat.send","header":{"session_id":"${SID}","ack":2.0},"payload":{"conversation_id":"c","text":"x"}}`), valid: true },
  { name: 'ack true is not an integer', validator: 'validateChatSend', value: chat(undefined, { session_id: SID, ack: true }), valid: false },
  { name: 'ack above 2^53 - 1', validator: 'validateChatSend', value: chat(undefined, { session_id: SID, ack: 9007199254740992 }), valid: false },
  { name: 'request_id with a space', validator: 'validateChatSend', value: chat(undefined, { session_id: SID, request_id: 'a 17' }), valid: false },
  { name: 'request_id of 65 characters', validator: 'validateChatSend', value: chat(undefined, { session_id: SID, request_id: 'a'.repeat(65) }), valid: false },
  { name: 'payload missing', validator: 'validateChatSend', value: { type: 'chat.send', header: { session_id: SID } }, valid: false },
  { name: 'payload an array', validator: 'validateChatSend', value: chat([]), valid: false },
  { name: 'text missing', validator: 'validateChatSend', value: chat({ conversation_id: 'c' }), valid: false },
  { name: 'both required missing: the first in required order', validator: 'validateChatSend', value: chat({}), valid: false },
  { name: 'text of 32 769 characters', validator: 'validateChatSend', value: chat({ conversation_id: 'c', text: 'x'.repeat(32769) }), valid: false },
  { name: 'text of 32 768 emoji (code points, not UTF-16 units)', validator: 'validateChatSend', value: chat({ conversation_id: 'c', text: '😀'.repeat(32768) }), valid: true },
  { name: 'conversation_id empty', validator: 'validateChatSend', value: chat({ conversation_id: '', text: 'x' }), valid: false },
  { name: 'extra payload field', validator: 'validateChatSend', value: chat({ conversation_id: 'c', text: 'x', urgent: true }), valid: false },
  { name: 'extra keys: JavaScript reports index-like keys first', validator: 'validateChatSend', value: chat({ conversation_id: 'c', text: 'x', zeta: 1, '10': 2, '2': 3 }), valid: false },
  { name: 'extra key with ~ and / (pointer escaping)', validator: 'validateChatSend', value: chat({ conversation_id: 'c', text: 'x', 'a/b~c': 1 }), valid: false },
  { name: 'type const wrong in a typed validator', validator: 'validateChatSend', value: { type: 'ui.action', header: { session_id: SID }, payload: { conversation_id: 'c', text: 'x' } }, valid: false },
  { name: 'ui.action enum wrong', validator: 'validateUiAction', value: { type: 'ui.action', header: { session_id: SID }, payload: { view_id: 'main', component_id: 'b', action: 'hover' } }, valid: false },
  { name: 'ui.action value may be anything', validator: 'validateUiAction', value: { type: 'ui.action', header: { session_id: SID }, payload: { view_id: 'main', component_id: 'b', action: 'change', value: [1, { a: null }] } }, valid: true },
  { name: 'resume last_seen_seq a string', validator: 'validateProtocolResume', value: { type: 'protocol.resume', header: { session_id: SID }, payload: { resume_token: TOKEN, last_seen_seq: '4' } }, valid: false },
  { name: 'resume token too short', validator: 'validateProtocolResume', value: { type: 'protocol.resume', header: { session_id: SID }, payload: { resume_token: 'short', last_seen_seq: 4 } }, valid: false },
  { name: 'ack frame without payload field', validator: 'validateProtocolAck', value: { type: 'protocol.ack', header: { session_id: SID }, payload: {} }, valid: false },
  { name: 'render: child node without component', validator: 'validateUiRender', value: render({ id: 'root', component: 'Column', children: [{ id: 'a', component: 'Text' }, { id: 'b' }] }), valid: false },
  { name: 'render: deep child with a bad id', validator: 'validateUiRender', value: render({ id: 'r', component: 'Column', children: [{ id: 'a', component: 'Row', children: [{ id: 'bad id', component: 'Text' }] }] }), valid: false },
  { name: 'render: component starting with a digit', validator: 'validateUiRender', value: render({ id: 'r', component: '9Column' }), valid: false },
  { name: 'render: props not an object', validator: 'validateUiRender', value: render({ id: 'r', component: 'Text', props: ['x'] }), valid: false },
  { name: 'render: seq 0', validator: 'validateUiRender', value: { type: 'ui.render', header: { session_id: SID, seq: 0 }, payload: { view_id: 'main', root: { id: 'r', component: 'Text' } } }, valid: false },
  { name: 'render: no seq (Q1)', validator: 'validateServerMessage', value: { type: 'ui.render', header: { session_id: SID }, payload: { view_id: 'main', root: { id: 'r', component: 'Text' } } }, valid: false },
  { name: 'patch: no ops (minItems)', validator: 'validateUiPatch', value: { type: 'ui.patch', header: { session_id: SID, seq: 2 }, payload: { view_id: 'main', ops: [] } }, valid: false },
  { name: 'patch: path without a leading slash', validator: 'validateUiPatch', value: { type: 'ui.patch', header: { session_id: SID, seq: 2 }, payload: { view_id: 'main', ops: [{ op: 'add', path: 'children' }] } }, valid: false },
  { name: 'patch: second op bad', validator: 'validateUiPatch', value: { type: 'ui.patch', header: { session_id: SID, seq: 2 }, payload: { view_id: 'main', ops: [{ op: 'add', path: '/a' }, { op: 'move', path: '/b' }] } }, valid: false },
  { name: 'hello: duplicate transports (uniqueItems)', validator: 'validateProtocolHello', value: hello({ transports: ['websocket', 'sse', 'websocket'] }), valid: false },
  { name: 'hello: no transports (minItems)', validator: 'validateProtocolHello', value: hello({ transports: [] }), valid: false },
  { name: 'hello: unknown protocol version', validator: 'validateProtocolHello', value: hello({ protocol_version: '2.0' }), valid: false },
  { name: 'hello: capability with a capital', validator: 'validateProtocolHello', value: hello({ capabilities: ['ack', 'Resume'] }), valid: false },
  { name: 'hello: replay window bytes 0', validator: 'validateProtocolHello', value: hello({ replay_window: { max_messages: 1, max_bytes: 0 } }), valid: false },
  { name: 'hello: heartbeat a float', validator: 'validateProtocolHello', value: hello({ heartbeat_ms: 1.5 }), valid: false },
  { name: 'hello via dispatcher: seq in a control header (Q1)', validator: 'validateServerMessage', value: { ...(clone(defs.ProtocolHello!.examples![0]) as object), header: { session_id: SID, seq: 1 } }, valid: false },
  { name: 'error: unknown code', validator: 'validateProtocolError', value: { type: 'protocol.error', header: {}, payload: { code: 'oops', message: 'x' } }, valid: false },
  { name: 'resume_failed: unknown reason', validator: 'validateProtocolResumeFailed', value: { type: 'protocol.resume_failed', header: {}, payload: { reason: 'gone', message: 'x' } }, valid: false },
  { name: 'history chunk: role wrong', validator: 'validateHistoryChunk', value: { seq: 1, role: 'bot', chunk: { kind: 'text' } }, valid: false },
  { name: 'history chunk: chunk kind missing', validator: 'validateHistoryChunk', value: { seq: 1, role: 'user', chunk: {} }, valid: false },
  { name: 'history response: latestSeq negative', validator: 'validateConversationHistoryResponse', value: { chunks: [], latestSeq: -1 }, valid: false },
  { name: 'history response: a bad chunk in the middle', validator: 'validateConversationHistoryResponse', value: { chunks: [{ seq: 1, role: 'user', chunk: { kind: 'text' } }, { seq: 0, role: 'user', chunk: { kind: 'text' } }], latestSeq: 2 }, valid: false },
  { name: 'history query: limit 0', validator: 'validateHistoryQuery', value: { limit: 0 }, valid: false },
  { name: 'history query: unknown parameter', validator: 'validateHistoryQuery', value: { limt: 5 }, valid: false },
  { name: 'agent.event payload (outbox): kind wrong', validator: 'validateAgentEventPayload', value: { conversation_id: 'c', turn_id: 't', kind: 'thinking' }, valid: false },
  { name: 'agent.event payload (outbox): valid', validator: 'validateAgentEventPayload', value: { conversation_id: 'c', turn_id: 't', kind: 'text', text: 'x', data: { any: [1] } }, valid: true },
  { name: 'ui.render payload (outbox): root missing', validator: 'validateUiRenderPayload', value: { view_id: 'main' }, valid: false },
];

/** Every example with one required field removed, and with one extra field, at each level. */
function mutationRows(): Row[] {
  const rows: Row[] = [];
  for (const [def, schema] of Object.entries(defs).sort(([a], [b]) => a.localeCompare(b))) {
    if (!schema['x-message'] || !schema.examples?.length) continue;
    const example = schema.examples[0] as Record<string, Record<string, unknown>>;
    for (const part of ['header', 'payload'] as const) {
      for (const key of Object.keys(example[part] ?? {})) {
        const without = clone(example);
        delete without[part]![key];
        rows.push({ name: `${def} without ${part}.${key}`, validator: `validate${def}`, value: without });
        const wrong = clone(example);
        wrong[part]![key] = typeof wrong[part]![key] === 'string' ? 42 : 'x';
        rows.push({ name: `${def} with ${part}.${key} of the wrong type`, validator: `validate${def}`, value: wrong, valid: false });
      }
      const extra = clone(example);
      if (extra[part]) extra[part]!.unexpected = true;
      rows.push({ name: `${def} with an extra ${part} field`, validator: `validate${def}`, value: extra, valid: false });
    }
  }
  return rows;
}

interface Verdict {
  readonly ok: boolean;
  readonly path?: string;
  readonly keyword?: string;
}

function tsVerdict(row: Row): Verdict {
  const validate = (ts as unknown as Record<string, Validator<unknown>>)[row.validator];
  if (!validate) throw new Error(`no TypeScript validator ${row.validator}`);
  const r = validate(row.value);
  return r.ok ? { ok: true } : { ok: false, path: r.issues[0]!.path, keyword: r.issues[0]!.keyword };
}

function pythonVerdicts(rows: readonly Row[]): Verdict[] {
  requireVenv();
  const input = JSON.stringify(rows.map((r) => ({ validator: snake(r.validator), value: r.value })));
  const run = spawnSync(venvPython, [join(pythonDir, 'validate_table.py')], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`validate_table.py failed: ${run.stderr}`);
  return (JSON.parse(run.stdout) as (Verdict & { message?: string })[]).map((v) => (v.ok ? { ok: true } : { ok: false, path: v.path!, keyword: v.keyword! }));
}

describe('Python validators agree with the TypeScript (Ajv) validators', () => {
  const examples = exampleRows();
  const crafted = [...CRAFTED, ...mutationRows()];
  const table = [...examples, ...crafted];
  const python = pythonVerdicts(table);

  it('covers every spec example and at least 40 crafted bad values', () => {
    expect(examples.length).toBeGreaterThanOrEqual(Object.values(defs).filter((d) => d.examples?.length).length);
    expect(crafted.filter((r) => r.valid !== true).length).toBeGreaterThanOrEqual(40);
  });

  it.each(table.map((row, i) => [row.name, row, i] as const))('%s', (_name, row, i) => {
    const want = tsVerdict(row);
    if (row.valid !== undefined) expect(want.ok, 'the table says what the TypeScript validator answers').toBe(row.valid);
    expect(python[i]).toEqual(want);
  });
});
