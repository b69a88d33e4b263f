/**
 * Emitters — types.ts (generator/emit/types.ts, json-schema-to-typescript), the docs' view
 * (generator/docs-view.ts, what the Markdown templates read) and the runtime copy
 * (generator/emit/runtime.ts).
 */
import { describe, expect, it } from 'vitest';
import { docsView } from '../../generator/docs-view.js';
import { emitRuntime } from '../../generator/emit/runtime.js';
import { typesSchema } from '../../generator/emit/types.js';
import { fixtureSpec, modelOf } from '../support/model.js';

describe('types.ts', () => {
  it.each([
    { name: 'unions per direction and role', given: 'chat-mini', want: { ServerDataMessage: ['NoteAdded'], ClientMessage: ['NoteAdd', 'ProtocolAck', 'ProtocolResume'] } },
    { name: 'the canonical contract', given: 'agent-ui', want: { ServerDataMessage: ['AgentEvent', 'ChatAccepted', 'UiPatch', 'UiRender'], ClientMessage: ['ChatSend', 'ProtocolAck', 'ProtocolResume', 'UiAction'] } },
  ] as const)('$name', ({ given, want }) => {
    const schema = typesSchema(modelOf(fixtureSpec(given))) as { $defs: Record<string, { anyOf?: { $ref: string }[] }>; required: string[] };
    for (const [union, members] of Object.entries(want)) expect(schema.$defs[union]!.anyOf!.map((r) => r.$ref.split('/').pop())).toEqual(members);
    expect(schema.required).toEqual([...schema.required].sort());
  });

  it('drops the vocabulary and doc keywords, but never a property named like one', () => {
    const spec = fixtureSpec('chat-mini');
    spec.$defs.NoteAdd.properties.payload.properties.title = { type: 'string' };
    const note = (typesSchema(modelOf(spec)) as { $defs: Record<string, { properties: { payload: { properties: object } } }> }).$defs.NoteAdd!;
    expect(note).not.toHaveProperty('x-message');
    expect(note).not.toHaveProperty('examples');
    expect(Object.keys(note.properties.payload.properties)).toEqual(['text', 'title']);
  });
});

describe('the docs view', () => {
  it.each([
    { name: 'chat-mini', given: 'chat-mini', want: { prefix: 'ChatMini', transports: ['websocket'], http: false, history: 0, python: 'chat_mini' } },
    { name: 'agent-ui', given: 'agent-ui', want: { prefix: 'AgentUi', transports: ['websocket', 'sse', 'poll'], http: true, history: 1, python: 'agent_ui' } },
  ] as const)('$name', ({ given, want }) => {
    const view = docsView(modelOf(fixtureSpec(given)));
    expect({ prefix: view.contract.prefix, transports: view.transports.list, http: view.transports.http, history: view.history.length, python: view.python.package }).toEqual(want);
  });

  it('reads history parameters and examples from the model', () => {
    const [h] = docsView(modelOf(fixtureSpec('agent-ui'))).history;
    expect(h!.params.map((p) => p.name)).toEqual(['sinceSeq', 'beforeSeq', 'limit']);
    expect(h!.queries[0]!.url).toMatch(/^\/conversations\/\{conversationId\}\?/);
  });
});

describe('the runtime copy', () => {
  it('copies every runtime source but the tests, under runtime/, with a banner naming no spec', () => {
    const files = emitRuntime();
    const paths = files.map((f) => f.path);
    expect(paths).toContain('runtime/server/contract-server.ts');
    expect(paths).toContain('runtime/client/contract-client.ts');
    expect(paths.some((p) => p.endsWith('.test.ts'))).toBe(false);
    for (const f of files) expect(f.content.split('\n', 3).join('\n')).not.toMatch(/sha256/);
  });
});
