/**
 * Emitter — contract.ts (generator/emit/contract.ts): the descriptor constant, typed as the
 * runtime declares it, and the contract's types that the generic server and client read.
 */
import { describe, expect, it } from 'vitest';
import { contractDescriptor, emitContract } from '../../generator/emit/contract.js';
import { createProject } from '../../generator/printer.js';
import { fixtureSpec, modelOf, withHelloApp } from '../support/model.js';

const text = (spec: unknown): string => emitContract(modelOf(spec), createProject())[0]!.content;

describe('the descriptor', () => {
  it.each([
    { name: 'a WebSocket-only contract', given: fixtureSpec('chat-mini'), want: { transports: ['websocket'], history: [], conformance: false, kernel: { 'note.add': false, 'protocol.hello': true } } },
    { name: 'the canonical contract', given: fixtureSpec('agent-ui'), want: { transports: ['websocket', 'sse', 'poll'], history: ['conversationHistory'], conformance: true, kernel: { 'chat.send': false, 'protocol.ack': true } } },
  ])('$name', ({ given, want }) => {
    const d = contractDescriptor(modelOf(given));
    expect(Object.keys(d.transports)).toEqual(want.transports);
    expect(Object.keys(d.history)).toEqual(want.history);
    expect(d.conformance !== undefined).toBe(want.conformance);
    for (const [type, kernel] of Object.entries(want.kernel)) expect(d.messages[type]!.kernel).toBe(kernel);
  });

  it('carries every limit, resolved, and leaves out what the spec does not set', () => {
    const d = contractDescriptor(modelOf(fixtureSpec('chat-mini')));
    expect(Object.keys(d.limits!).sort()).toEqual(['maxBufferedBytes', 'maxErrorFrames', 'maxFramesPerPost', 'maxInboundBytes', 'maxPollBytes', 'maxPollFrames', 'maxSessions', 'maxSessionsPerClient', 'maxSessionsPerSecond']);
    expect(d.transports.websocket).toEqual({ path: '/mini' });
  });
});

describe('contract.ts', () => {
  it.each([
    { name: 'the message map names each message by its member, with its catalogue entry and frame', given: fixtureSpec('chat-mini'), want: ['readonly noteAdd: MessageOf<Contract, MessageByType, "note.add">;', 'readonly history: {};', 'readonly helloApp: undefined;', 'export interface ChatMiniProtocol {'] },
    { name: 'history endpoints with their item type', given: fixtureSpec('agent-ui'), want: ['readonly conversationHistory: HistoryOf<Contract, "conversationHistory", HistoryChunk>;'] },
    {
      name: 'the hello application type, when the spec extends HelloApp',
      given: withHelloApp(),
      want: ['readonly helloApp: HelloApp;'],
    },
    { name: 'a message description becomes its JSDoc, escaped (G1)', given: (() => { const s = fixtureSpec('chat-mini'); s.$defs.NoteAdd.description = 'Ends */ here.'; return s; })(), want: ['/** `note.add` (client-to-server, data) — Ends *\\/ here. */'] },
  ])('$name', ({ given, want }) => {
    const t = text(given);
    for (const w of want) expect(t).toContain(w);
    expect(t).toMatch(/\} as const satisfies ContractDescriptor;/);
  });
});
