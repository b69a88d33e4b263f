/**
 * Shared helpers of the client suite: the generated server on a real port (optionally built from a
 * copy of the contract with other parameters), the generated client with `ws`, a recorder of what
 * the application sees, a TCP proxy that cuts connections on a seeded schedule, a hand-written
 * fake server that speaks the protocol (and misbehaves on request), and cleanup.
 */
import { createServer, type Server } from 'node:http';
import { WebSocket } from 'ws';
import { createAgentUiClient, type AgentUiClient, type AgentUiClientOptions } from '../../generated/client.js';
import type { ClientEvent } from '../../generated/runtime/client/client-core.js';
import type { WebSocketConstructor } from '../../generated/runtime/client/transport.js';
import type { ContractDescriptor, TransportKind } from '../../generated/runtime/contract.js';
import type { AgentUiHandlers, AgentUiServer } from '../../generated/server.js';
import type { ChatSend, UiAction } from '../../generated/types.js';
import { createContractServer } from '../../runtime/server/contract-server.js';
import { contractWith, protocolWith, type AgentUiProtocol } from '../support/contract.js';
import { listenUntilCleanup } from '../support/http.js';
import { cleanup, onCleanup, sleep, waitFor } from '../support/lifecycle.js';
import { accepted } from '../support/accepted.js';

export { cleanup, contractWith, onCleanup, sleep, waitFor };
export { range } from '../support/channel.js';
export * from '../support/chaos-proxy.js';
export * from '../support/fake-server.js';

export const TRANSPORTS: readonly TransportKind[] = ['websocket', 'sse', 'poll'];

// ---------------------------------------------------------------------------------------------
// The generated server

/** The generated server's wiring (generated/server.ts) over any copy of the contract. */
export function createServerFor(c: ContractDescriptor, handlers: AgentUiHandlers): AgentUiServer {
  return createContractServer<AgentUiProtocol>(protocolWith(c), { handlers });
}

/** Listens on 127.0.0.1 on a free port; closed (with every connection) in cleanup. */
export const listen = (server: Server): Promise<{ readonly port: number; readonly url: string }> => listenUntilCleanup(server);

export interface RunningServer {
  readonly server: AgentUiServer;
  readonly http: Server;
  readonly port: number;
  readonly url: string;
  /** Client frames the handlers received, in order. */
  readonly received: (ChatSend | UiAction)[];
}

/** The generated server (canonical contract, or `contract` when given) on a real port. */
export async function startServer(options: { contract?: ContractDescriptor; handlers?: Partial<AgentUiHandlers> } = {}): Promise<RunningServer> {
  const received: (ChatSend | UiAction)[] = [];
  const handlers: AgentUiHandlers = {
    chatSend: (m) => (received.push(m), accepted(m)),
    uiAction: (m) => void received.push(m),
    ...options.handlers,
  };
  const server = createServerFor(options.contract ?? protocolWith().contract, handlers);
  const http = createServer();
  server.attach(http);
  onCleanup(() => server.close());
  const { port, url } = await listen(http);
  return { server, http, port, url, received };
}


// ---------------------------------------------------------------------------------------------
// The generated client and what the application sees

export function startClient(url: string, options: Partial<AgentUiClientOptions> = {}): AgentUiClient {
  const client = createAgentUiClient({
    url,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    backoff: { initialMs: 5, maxMs: 50 },
    ...options,
  });
  onCleanup(() => client.close());
  return client;
}

export interface Recording {
  /** header.seq of every agent.event the application got, in order. */
  readonly seqs: number[];
  /** Texts of the agent.events, in order. */
  readonly texts: string[];
  readonly events: ClientEvent[];
  ofKind<K extends ClientEvent['kind']>(kind: K): Extract<ClientEvent, { kind: K }>[];
  /** Open → reconnecting transitions: how often the client lost a connection it had. */
  readonly reconnects: number;
  /** A short summary for failure messages. */
  summary(): string;
}

export function record(client: AgentUiClient): Recording {
  const seqs: number[] = [];
  const texts: string[] = [];
  const events: ClientEvent[] = [];
  let reconnects = 0;
  let last: string | undefined;
  client.on.agentEvent((m) => {
    seqs.push(m.header.seq);
    texts.push(m.payload.text ?? '');
  });
  client.onEvent((e) => {
    events.push(e);
    if (e.kind === 'state') {
      if (last === 'open' && e.state === 'reconnecting') reconnects++;
      last = e.state;
    }
  });
  const rec: Recording = {
    seqs,
    texts,
    events,
    ofKind: <K extends ClientEvent['kind']>(kind: K) => events.filter((e): e is Extract<ClientEvent, { kind: K }> => e.kind === kind),
    get reconnects() {
      return reconnects;
    },
    summary() {
      const counts: Record<string, number> = {};
      for (const e of events) {
        const key = e.kind === 'state' ? `state:${e.state}` : e.kind === 'error' ? `error:${e.code}` : e.kind === 'sequence' ? `sequence:${e.verdict}` : e.kind;
        counts[key] = (counts[key] ?? 0) + 1;
      }
      return `${seqs.length} delivered (last ${seqs.at(-1) ?? 0}), state ${client.state}, events ${JSON.stringify(counts)}`;
    },
  };
  return rec;
}

/** A client of `url` with a recorder, once its first session is open. */
export async function connectedClient(url: string, options: Partial<AgentUiClientOptions> = {}): Promise<{ readonly client: AgentUiClient; readonly rec: Recording }> {
  const client = startClient(url, options);
  const rec = record(client);
  await nextEvent(client, 'session');
  return { client, rec };
}

/** Resolves with the next client event that matches. */
export function nextEvent<K extends ClientEvent['kind']>(client: AgentUiClient, kind: K, match: (e: Extract<ClientEvent, { kind: K }>) => boolean = () => true, timeoutMs = 5000): Promise<Extract<ClientEvent, { kind: K }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${kind} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = client.onEvent((e) => {
      if (e.kind === kind && match(e as Extract<ClientEvent, { kind: K }>)) {
        clearTimeout(timer);
        off();
        resolve(e as Extract<ClientEvent, { kind: K }>);
      }
    });
  });
}


/** Checks "exactly 1..n, in order, each once" and says where it first went wrong. */
export function sequenceProblem(seqs: readonly number[], n: number): string | undefined {
  for (let i = 0; i < seqs.length; i++) if (seqs[i] !== i + 1) return `position ${i} holds seq ${seqs[i]} (previous ${seqs[i - 1]})`;
  return seqs.length === n ? undefined : `got ${seqs.length} of ${n}`;
}

