/**
 * Helpers for the server suites: a real agent-ui server on 127.0.0.1 port 0 (the generated
 * contract and validators on the runtime's createContractServer, so a test can shrink the TTL, the
 * replay window or the poll hold), and what tests/support/ shares: the raw clients of every
 * transport (channels.ts), servers on real ports (http.ts), copies of the contract (contract.ts)
 * and the cleanup registry (lifecycle.ts). Everything made here is closed by `cleanup()`: call it
 * in afterEach.
 */
import type { MemorySessionStore } from '../../runtime/server/memory-store.js';
import type http from 'node:http';
import type { AgentUiHandlers } from '../../generated/server.js';
import type { HistoryChunk } from '../../generated/types.js';
import type { ContractDescriptor } from '../../runtime/contract.js';
import { createContractServer, type ContractServer, type HandlerContext } from '../../runtime/server/contract-server.js';
import type { HistoryStore } from '../../runtime/server/history.js';
import { canonicalContract, contractWith, protocolWith, type AgentUiProtocol, type ContractPatch } from '../support/contract.js';
import type { Kind } from '../support/channels.js';
import { closeHttp, serve, target, type Mountable, type Target } from '../support/http.js';
import { cleanup, keepAcrossTests, onCleanup, sleep, waitFor } from '../support/lifecycle.js';
import { accepted } from '../support/accepted.js';

export { canonicalContract, cleanup, closeHttp, contractWith, keepAcrossTests, onCleanup, serve, sleep, target, waitFor, type ContractPatch, type Mountable, type Target };
export { listen } from '../support/http.js';
export * from '../support/channels.js';
// ---------------------------------------------------------------------------------------------
// The server

/**
 * Short TTL, heartbeat and poll hold, for the expiry and heartbeat tests: the core sweeps every
 * min(heartbeatMs, max(1000, ttlMs / 4)) = 300 ms; a poll attachment lapses holdMs + heartbeatMs
 * = 700 ms after its last answer.
 */
export const FAST: ContractPatch = { session: { ttlMs: 1500 }, heartbeatMs: 300, transports: { poll: { path: '/poll', messagesPath: '/messages', holdMs: 400 } } };

export type Ctx = HandlerContext<AgentUiProtocol>;

export interface ServerSetup {
  readonly contract?: ContractPatch;
  /** Override the default handlers (see `startServer`). */
  readonly handlers?: Partial<AgentUiHandlers>;
  readonly history?: HistoryStore<HistoryChunk>;
}

export interface TestServer {
  readonly app: ContractServer<AgentUiProtocol>;
  readonly http: http.Server;
  readonly contract: ContractDescriptor;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** `ws://127.0.0.1:<port>` */
  readonly wsOrigin: string;
  /** Every application message a handler saw, in order. */
  readonly handled: { readonly type: string; readonly sessionId: string; readonly text?: string }[];
  /** Errors reported to onError. */
  readonly errors: unknown[];
  /** The URL of every HTTP request, recorded after the contract server handled it synchronously. */
  readonly requests: string[];
  /** Resolves once a poll for `sessionId` with this cursor has reached the server (and is held, if it has nothing to answer). */
  pollArrived(sessionId: string, cursor: number): Promise<void>;
  /** Emits `n` agent.event data messages on a session from outside a handler; returns their seqs. */
  emit(sessionId: string, n: number): Promise<number>[];
  latestSeq(sessionId: string): number;
  /** The transport of the session's live attachment (undefined when detached or gone). */
  transportOf(sessionId: string): Kind | undefined;
  /** Whether the session is still live in the registry. */
  alive(sessionId: string): boolean;
  close(): Promise<void>;
}

let emitted = 0;
function agentEvent(conversation: string, text: string) {
  return { conversation_id: conversation, turn_id: 't-1', kind: 'text' as const, text };
}

/**
 * Starts the agent-ui contract on a bare http.Server bound to 127.0.0.1:0. Default handlers:
 * `chat.send` with text `"<n>"` produces n data messages (any other text, one): n − 1
 * agent.events, then the reply chat.accepted its handler returns (C4), so that counts of data
 * read the same as before chat.send declared a reply. Text `"throw"` throws; `ui.action` does
 * nothing. Both record what they saw in `handled`.
 */
export async function startServer(setup: ServerSetup = {}): Promise<TestServer> {
  const contract = contractWith(setup.contract ?? {});
  const handled: { type: string; sessionId: string; text?: string }[] = [];
  const errors: unknown[] = [];
  const defaults: AgentUiHandlers = {
    chatSend(message, ctx) {
      handled.push({ type: message.type, sessionId: ctx.session.id, text: message.payload.text });
      if (message.payload.text === 'throw') throw new Error('handler exploded on purpose');
      const n = Number(message.payload.text) || 1;
      for (let i = 1; i < n; i++) ctx.emit.agentEvent(agentEvent(message.payload.conversation_id, `reply ${++emitted}`));
      return accepted(message);
    },
    uiAction(message, ctx) {
      handled.push({ type: message.type, sessionId: ctx.session.id });
    },
    onError(error) {
      errors.push(error);
    },
  };
  const handlers: AgentUiHandlers = { ...defaults, ...setup.handlers };
  const app = createContractServer<AgentUiProtocol>(protocolWith(contract), { handlers, ...(setup.history ? { history: { conversationHistory: setup.history } } : {}) });
  const { server, port: listening } = await serve(app);
  const requests: string[] = [];
  server.on('request', (req: http.IncomingMessage) => requests.push(req.url ?? ''));
  const close = async (): Promise<void> => {
    app.close();
    await closeHttp(server);
  };
  return {
    app,
    http: server,
    contract,
    origin: `http://127.0.0.1:${listening}`,
    wsOrigin: `ws://127.0.0.1:${listening}`,
    handled,
    errors,
    requests,
    pollArrived(sessionId, cursor) {
      const path = contract.transports.poll!.path;
      return waitFor(() => requests.some((u) => u.startsWith(`${path}?`) && u.includes(`session_id=${sessionId}`) && u.includes(`cursor=${cursor}`)), `a poll of ${sessionId} at cursor ${cursor}`);
    },
    emit(sessionId, n) {
      const ctx = app.session(sessionId);
      if (!ctx) throw new Error(`no live session ${sessionId}`);
      return Array.from({ length: n }, () => ctx.emit.agentEvent(agentEvent('c-1', `pushed ${++emitted}`)));
    },
    latestSeq: (id) => (app.core.store as MemorySessionStore).peek(id)?.latestSeq ?? -1,
    transportOf: (id) => app.core.local(id)?.attachment?.kind,
    alive: (id) => (app.core.store as MemorySessionStore).peek(id) !== undefined,
    close,
  };
}

