/**
 * Emitters — server.ts and client.ts (generator/emit/server.ts, client.ts, through facade.ts):
 * typed facades over the runtime's generic server and client: type aliases and one factory, no
 * casts, nothing bound, no option re-declared.
 */
import { describe, expect, it } from 'vitest';
import { emitClient } from '../../generator/emit/client.js';
import { emitServer } from '../../generator/emit/server.js';
import { createProject } from '../../generator/printer.js';
import { fixtureSpec, modelOf } from '../support/model.js';

const emitters = { server: emitServer, client: emitClient };

describe('the facades', () => {
  it.each([
    { name: 'server, chat-mini', given: { spec: 'chat-mini', emitter: 'server' }, want: ['export type ChatMiniHandlers<Principal = undefined> = Handlers<ChatMiniProtocol, Principal>;', 'export type ChatMiniEmitter = Emitter<ChatMiniProtocol>;', 'return createContractServer<ChatMiniProtocol, Principal>({ contract, validators }, options);'] },
    { name: 'client, chat-mini (no history)', given: { spec: 'chat-mini', emitter: 'client' }, want: ['export type ChatMiniSenders = Senders<ChatMiniProtocol>;', 'return createContractClient<ChatMiniProtocol>({ contract, validators }, options);'] },
    { name: 'client, agent-ui (history views)', given: { spec: 'agent-ui', emitter: 'client' }, want: ['export type AgentUiHistory = HistoryViews<AgentUiProtocol>;', 'Creates a client of the agent-ui contract.'] },
  ] as const)('$name', ({ given, want }) => {
    const t = emitters[given.emitter](modelOf(fixtureSpec(given.spec)), createProject())[0]!.content;
    for (const w of want) expect(t).toContain(w);
    // Thin: no casts, nothing bound, no interface re-declaring the runtime's options.
    expect(t).not.toMatch(/ as unknown as |\.bind\(|interface /);
  });

  it('a contract without history has no history alias', () => {
    expect(emitClient(modelOf(fixtureSpec('chat-mini')), createProject())[0]!.content).not.toContain('History');
  });
});
