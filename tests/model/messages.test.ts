/**
 * Model stage — messages (generator/model/messages.ts) and the model around them: each message's
 * role in the protocol (sequenced, kernel, handled by the application) and its names, the
 * validated schemas, the hello's application type, the history endpoints (model/history.ts).
 */
import { describe, expect, it } from 'vitest';
import { fixtureSpec, modelOf, withHelloApp } from '../support/model.js';

const chatMini = modelOf(fixtureSpec('chat-mini'));
const agentUi = modelOf(fixtureSpec('agent-ui'));
const byType = (type: string) => chatMini.messages.find((m) => m.type === type)!;

describe('messages', () => {
  it.each([
    { name: 'a server data message', given: 'note.added', want: { sequenced: true, kernel: false, application: false, memberName: 'noteAdded', payload: 'validateNoteAddedPayload' } },
    { name: 'a client application message', given: 'note.add', want: { sequenced: false, kernel: false, application: true, memberName: 'noteAdd', payload: undefined } },
    { name: 'a client kernel frame', given: 'protocol.resume', want: { sequenced: false, kernel: true, application: false, memberName: 'protocolResume', payload: undefined } },
    { name: 'a server control frame', given: 'protocol.hello', want: { sequenced: false, kernel: true, application: false, memberName: 'protocolHello', payload: undefined } },
  ])('$name ($given)', ({ given, want }) => {
    const m = byType(given);
    expect({ sequenced: m.sequenced, kernel: m.kernel, application: m.application, memberName: m.memberName, payload: m.payloadValidator?.name }).toEqual(want);
  });

  it('sorts messages by type and names their validators and Python members', () => {
    expect(chatMini.messages.map((m) => m.type)).toEqual([...chatMini.messages.map((m) => m.type)].sort());
    expect(byType('note.added')).toMatchObject({
      typeName: 'NoteAdded',
      validator: { name: 'validateNoteAdded', raw: 'rawNoteAdded', pointer: '/$defs/NoteAdded', subject: 'note.added' },
      payloadValidator: { name: 'validateNoteAddedPayload', raw: 'rawNoteAddedPayload', pointer: '/$defs/NoteAdded/properties/payload' },
      python: { member: 'note_added', validator: 'validate_note_added', payloadValidator: 'validate_note_added_payload' },
      summary: expect.any(String),
    });
  });

  it('reads the header and payload fields through $ref', () => {
    const add = byType('note.add');
    expect(add.headerTypeName).toBe('ClientHeader');
    expect(add.headerFields.map((f) => f.name)).toContain('session_id');
    expect(add.payloadFields).toEqual([expect.objectContaining({ name: 'text', required: true, typeLabel: 'string' })]);
  });
});

describe('the model around the messages', () => {
  it('validates every message and every schema a history endpoint names, once, sorted', () => {
    const names = agentUi.validated.map((v) => v.typeName);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['ChatSend', 'HistoryQuery', 'ConversationHistoryResponse', 'HistoryChunk']));
    expect(agentUi.validated.find((v) => v.typeName === 'HistoryQuery')).toMatchObject({ name: 'validateHistoryQuery', subject: 'HistoryQuery', python: 'validate_history_query' });
    expect(agentUi.validated.find((v) => v.typeName === 'ChatSend')!.message?.type).toBe('chat.send');
  });

  it('names the API after the contract', () => {
    expect(chatMini.api).toMatchObject({ prefix: 'ChatMini', protocol: 'ChatMiniProtocol', serverFactory: 'createChatMiniServer' });
    expect(chatMini.python).toMatchObject({ package: 'chat_mini', factory: 'create_chat_mini_server' });
  });

  it.each([
    { name: 'the kernel hello: no application fields', given: fixtureSpec('chat-mini'), want: undefined },
    {
      name: 'a spec that extends HelloApp',
      given: withHelloApp(),
      want: 'HelloApp',
    },
  ])('helloAppTypeName: $name', ({ given, want }) => {
    expect(modelOf(given).helloAppTypeName).toBe(want);
  });
});

describe('history endpoints (model/history.ts)', () => {
  const h = agentUi.history[0]!;
  it('reads the path parameters with their patterns', () => {
    expect(h.pathParams).toEqual([{ name: 'conversationId', typeName: 'ConversationId', pattern: '^[A-Za-z0-9_-]{1,64}$' }]);
  });
  it('reads the query parameters the query schema declares (W1), with their bounds', () => {
    expect(h.queryParams.map((p) => [p.name, p.minimum])).toEqual([
      ['sinceSeq', 0],
      ['beforeSeq', 1],
      ['limit', 1],
    ]);
    expect(h.queryParams[0]!.schema).toMatchObject({ type: 'integer', minimum: 0 });
  });
  it('carries the examples of the query and response schemas', () => {
    expect(h.queryExamples.length).toBeGreaterThan(0);
    expect(h.responseExamples[0]).toMatchObject({ chunks: expect.any(Array), latestSeq: expect.any(Number) });
    expect(h.python.store).toBe('conversation_history');
  });
});
