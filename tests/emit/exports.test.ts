/**
 * Emitters — openapi.json and asyncapi.json (generator/emit/openapi.ts, asyncapi.ts): the HTTP
 * endpoints and the channels a contract declares, with the spec's own schemas and nothing else.
 */
import { describe, expect, it } from 'vitest';
import { asyncApiDocument } from '../../generator/emit/asyncapi.js';
import { openApiDocument } from '../../generator/emit/openapi.js';
import { fixtureSpec, modelOf } from '../support/model.js';

type Doc = Record<string, Record<string, unknown>>;

describe('openapi.json', () => {
  it.each([
    { name: 'a WebSocket-only contract has no HTTP path', given: fixtureSpec('chat-mini'), want: { paths: [] } },
    { name: 'every HTTP transport and history endpoint', given: fixtureSpec('agent-ui'), want: { paths: ['/conversations/{conversationId}', '/events', '/messages', '/poll'] } },
  ])('$name', ({ given, want }) => {
    const doc = openApiDocument(modelOf(given)) as Doc;
    expect(Object.keys(doc.paths!).sort()).toEqual(want.paths);
  });

  it('bounds `limit` by the endpoint maxLimit (W2) and takes the query parameters from the model', () => {
    const spec = fixtureSpec('agent-ui');
    spec['x-contract'].history[0].maxLimit = 77;
    const doc = openApiDocument(modelOf(spec)) as { paths: Record<string, { get: { parameters: { name: string; in: string; schema: { maximum?: number } }[] } }> };
    const params = doc.paths['/conversations/{conversationId}']!.get.parameters;
    expect(params.map((p) => `${p.in}:${p.name}`)).toEqual(['path:conversationId', 'query:sinceSeq', 'query:beforeSeq', 'query:limit']);
    expect(params.find((p) => p.name === 'limit')!.schema.maximum).toBe(77);
  });
});

describe('asyncapi.json', () => {
  it.each([
    { name: 'chat-mini', given: fixtureSpec('chat-mini'), want: { channels: ['websocket'], messages: 10 } },
    { name: 'agent-ui', given: fixtureSpec('agent-ui'), want: { channels: ['messages', 'poll', 'sse', 'websocket'], messages: 14 } },
  ])('$name: a channel per transport, every message', ({ given, want }) => {
    const doc = asyncApiDocument(modelOf(given)) as Doc;
    expect(Object.keys(doc.channels!).sort()).toEqual(want.channels);
    expect(Object.keys((doc.components as { messages: object }).messages)).toHaveLength(want.messages);
  });

  it('points the session_id query parameter at the spec\'s schema (the field as declared)', () => {
    const doc = asyncApiDocument(modelOf(fixtureSpec('agent-ui'))) as { channels: { websocket: { bindings: { ws: { query: { properties: { session_id: unknown } } } } } } };
    expect(doc.channels.websocket.bindings.ws.query.properties.session_id).toEqual({ $ref: '#/components/schemas/SessionId' });
  });
});
