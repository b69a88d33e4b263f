/**
 * The shape of a generated `contract` constant: every protocol parameter the runtime needs,
 * taken from the spec's x-contract block. The runtime reads only this, never the spec.
 */

import type { ContractLimits } from './limits.js';

export type Direction = 'server-to-client' | 'client-to-server';
export type Role = 'data' | 'control';
export type TransportKind = 'websocket' | 'sse' | 'poll';

export interface MessageDescriptor {
  readonly type: string;
  readonly typeName: string;
  readonly member: string;
  readonly direction: Direction;
  readonly role: Role;
  /** Q1: stamped with header.seq by the outbox. */
  readonly sequenced: boolean;
}

export interface HistoryDescriptor {
  readonly name: string;
  /** Path template, e.g. `/conversations/{conversationId}`. */
  readonly path: string;
  readonly pathParams: readonly { readonly name: string; readonly pattern?: string }[];
  readonly maxLimit?: number;
}

/**
 * x-contract.conformance: how `contractgen probe` makes a server produce data. A server created
 * with `conformance: true` answers a frame equal to `trigger` by emitting `produces` data
 * messages, taking the payloads from `samples` in turn.
 */
export interface ConformanceDescriptor {
  readonly trigger: { readonly type: string; readonly payload: unknown };
  readonly produces: number;
  /** Data payloads from the spec's examples, by message type. */
  readonly samples: readonly { readonly type: string; readonly payload: unknown }[];
  /** Logs a probed server must hold (W1–W5); the server is given them, the runtime never writes them. */
  readonly history: readonly { readonly endpoint: string; readonly params: Readonly<Record<string, string>>; readonly minItems: number }[];
}

export interface ContractDescriptor {
  readonly name: string;
  readonly version: string;
  readonly specHash: string;
  /** Ascending. H2: the server picks the highest version it shares with the client. */
  readonly protocolVersions: readonly string[];
  readonly seqOrigin: number;
  readonly session: { readonly ttlMs: number; readonly idBits: number; readonly tokenBits: number };
  readonly replayWindow: { readonly maxMessages: number; readonly maxBytes: number };
  readonly heartbeatMs: number;
  readonly maxFrameBytes: number;
  readonly capabilities: readonly string[];
  readonly transports: {
    readonly websocket?: { readonly path: string };
    readonly sse?: { readonly path: string; readonly messagesPath: string };
    readonly poll?: { readonly path: string; readonly messagesPath: string; readonly holdMs: number };
  };
  readonly history: Readonly<Record<string, HistoryDescriptor>>;
  readonly messages: Readonly<Record<string, MessageDescriptor>>;
  /** L2: the bounds of x-contract.limits (generated contract.ts carries every one, resolved; missing ones take the defaults of limits.ts). */
  readonly limits?: Partial<ContractLimits>;
  /** Only when the spec declares x-contract.conformance. */
  readonly conformance?: ConformanceDescriptor;
}
