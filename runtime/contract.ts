/**
 * The shape of a contract — its one declaration. A generated `contract` constant satisfies
 * `ContractDescriptor` (every protocol parameter the runtime needs, from the spec's x-contract
 * block; the runtime reads only this, never the spec), and generated contract.ts declares the
 * contract's types as a `ProtocolTypes` (message and history maps) that the generic server and
 * client are typed with. contractgen's own model and the block a spec writes are typed from these.
 */

import type { ContractLimits } from './limits.js';
import type { Dispatcher, Validator } from './validation.js';

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
  /** One of the protocol.* frames every contract has; the others are the application's. */
  readonly kernel: boolean;
  /** C4: on a client application message, the type of the data message that answers it; its handler returns that payload and `send` resolves to it. */
  readonly reply?: string;
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
 * messages, taking the payloads from `samples` in turn (the last is the trigger's reply when it
 * declares one, C4).
 */
export interface ConformanceDescriptor {
  readonly trigger: { readonly type: string; readonly payload: unknown };
  readonly produces: number;
  /** Data payloads from the spec's examples, by message type. */
  readonly samples: readonly { readonly type: string; readonly payload: unknown }[];
  /** C4: the trigger's declared reply, sent last of the `produces` messages, naming the trigger's cseq. */
  readonly reply?: { readonly type: string; readonly payload: unknown };
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

/**
 * A generated server's or client's descriptor: the contract constant and the validators the
 * runtime checks frames with (validators.ts). Behaviour lives in the runtime; this is data.
 */
export interface ProtocolDescriptor {
  readonly contract: ContractDescriptor;
  readonly validators: ContractValidators;
}

/** What the runtime validates with, from generated validators.ts. */
export interface ContractValidators {
  /** Every server-to-client frame, by type: the client checks what it receives, the server the kernel frames it builds. */
  readonly server: Dispatcher;
  /** Every client-to-server frame, by type (S2, S5). */
  readonly client: Dispatcher;
  /** Q3: the payload of every data message, by type (the outbox builds the envelope). */
  readonly payloads: Readonly<Record<string, Validator<unknown>>>;
  /** W3: the response of every history endpoint, by endpoint name (the client checks each page). */
  readonly history: Readonly<Record<string, Validator<unknown>>>;
}

// ── The contract's types (type-only) ─────────────────────────────────────────────────────────────

/** A frame as generated types.ts declares it. */
export interface FrameShape {
  readonly type: string;
  readonly header: object;
  readonly payload: unknown;
}

/**
 * The types of a contract, as generated contract.ts declares them (`AgentUiProtocol`): what the
 * generic server and client derive their typed surface from.
 */
export interface ProtocolTypes {
  readonly contract: ContractDescriptor;
  /** Every message by the name generated APIs give it: its catalogue entry and its frame type (`MessageOf`). */
  readonly messages: { readonly [member: string]: MessageDescriptor & { readonly frame: FrameShape } };
  /** Every history endpoint by name: its entry and its item type (`HistoryOf`). */
  readonly history: { readonly [name: string]: HistoryDescriptor & { readonly item: { readonly seq: number } } };
  /** H1: the type of the hello's `payload.app`, or undefined when the spec does not extend the kernel's HelloApp. */
  readonly helloApp: object | undefined;
}

/** A message of the contract C: its catalogue entry (direction, role, sequenced, …) with its frame type from `Frames` (types.ts's `MessageByType`). */
export type MessageOf<C extends ContractDescriptor, Frames, Type extends keyof C['messages'] & keyof Frames> = C['messages'][Type] & { readonly frame: Frames[Type] & FrameShape };

/** A history endpoint of the contract C with the type of its items. */
export type HistoryOf<C extends ContractDescriptor, Name extends keyof C['history'], Item extends { readonly seq: number }> = C['history'][Name] & { readonly item: Item };

/** The frame type of a message of a `ProtocolTypes` map. */
export type FrameOf<M> = M extends { readonly frame: infer F } ? F : never;
/** The payload type of a message of a `ProtocolTypes` map. */
export type PayloadOf<M> = FrameOf<M> extends { readonly payload: infer P } ? P : never;
