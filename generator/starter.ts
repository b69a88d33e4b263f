/**
 * The starter contract `contractgen init` writes: a three-message chat that takes the protocol
 * kernel from the shipped kernel by $ref, so its $defs are the application and little else. Its
 * descriptions are its comments: they end up in the generated docs. Printed line by line (not
 * JSON.stringify) so that each message reads as one block; every value is JSON-encoded.
 */
import { CURRENT_KERNEL, kernelRef } from './kernel.js';

export const STARTER_TRANSPORTS = ['websocket', 'sse', 'poll'] as const;
export type StarterTransport = (typeof STARTER_TRANSPORTS)[number];

export interface StarterOptions {
  /** kebab-case contract name (x-contract.name); the generated API is named after it. */
  readonly name: string;
  readonly transports: readonly StarterTransport[];
  /** What `$schema` names: the vocabulary meta-schema (a path relative to the spec, or its $id). */
  readonly vocabulary: string;
}

const KERNEL_MESSAGES = ['ProtocolHello', 'ProtocolResume', 'ProtocolResumed', 'ProtocolResumeFailed', 'ProtocolError', 'ProtocolHeartbeat', 'ProtocolAck'];
const SESSION = 'q3Jt0Yz8uVbK2mXw5LcP9a';

const j = (value: unknown): string => JSON.stringify(value, null, 1).replace(/\n\s*/g, ' ').replace(/\[ /g, '[').replace(/ \]/g, ']');

interface StarterMessage {
  readonly def: string;
  readonly type: string;
  readonly direction: 'client-to-server' | 'server-to-client';
  readonly description: string;
  readonly required: readonly string[];
  readonly properties: Readonly<Record<string, unknown>>;
  readonly example: Readonly<Record<string, unknown>>;
}

const MESSAGES: readonly StarterMessage[] = [
  {
    def: 'ChatSend',
    type: 'chat.send',
    direction: 'client-to-server',
    description: 'A user posts to a room; the server answers with chat.message.',
    required: ['room', 'text'],
    properties: { room: { $ref: '#/$defs/RoomId' }, text: { type: 'string', minLength: 1, maxLength: 4000 } },
    example: { room: 'lobby', text: 'Hello, room!' },
  },
  {
    def: 'ChatMessage',
    type: 'chat.message',
    direction: 'server-to-client',
    description: 'A message posted to a room, as every member receives it (stamped with seq).',
    required: ['room', 'from', 'text'],
    properties: { room: { $ref: '#/$defs/RoomId' }, from: { type: 'string', maxLength: 64 }, text: { type: 'string', maxLength: 4000 } },
    example: { room: 'lobby', from: 'ada', text: 'Hello, room!' },
  },
  {
    def: 'ChatPresence',
    type: 'chat.presence',
    direction: 'server-to-client',
    description: 'Someone joined or left a room.',
    required: ['room', 'user', 'online'],
    properties: { room: { $ref: '#/$defs/RoomId' }, user: { type: 'string', maxLength: 64 }, online: { type: 'boolean' } },
    example: { room: 'lobby', user: 'ada', online: true },
  },
];

const TRANSPORT_LINES: Readonly<Record<StarterTransport, string>> = {
  websocket: `"websocket": ${j({ path: '/ws' })}`,
  sse: `"sse": ${j({ path: '/events', messagesPath: '/messages' })}`,
  poll: `"poll": ${j({ path: '/poll', messagesPath: '/messages', holdMs: 25000 })}`,
};

function messageLines(m: StarterMessage): string[] {
  const header = kernelRef(m.direction === 'client-to-server' ? 'ClientHeader' : 'DataHeader');
  const exampleHeader = m.direction === 'client-to-server' ? { session_id: SESSION } : { session_id: SESSION, seq: 1 };
  return [
    `    ${j(m.def)}: {`,
    `      "description": ${j(m.description)},`,
    `      "x-message": ${j({ type: m.type, direction: m.direction, role: 'data' })},`,
    `      "type": "object", "required": ["type", "header", "payload"], "additionalProperties": false,`,
    `      "properties": {`,
    `        "type": ${j({ const: m.type })}, "header": ${j({ $ref: header })},`,
    `        "payload": { "type": "object", "required": ${j(m.required)}, "additionalProperties": false, "properties": ${j(m.properties)} }`,
    `      },`,
    `      "examples": [${j({ type: m.type, header: exampleHeader, payload: m.example })}]`,
    `    }`,
  ];
}

/** The starter contract's text (final newline included). */
export function starterContract(options: StarterOptions): string {
  const title = options.name
    .split('-')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join(' ');
  const transports = STARTER_TRANSPORTS.filter((t) => options.transports.includes(t));
  const defs = [
    ...KERNEL_MESSAGES.map((name) => `    ${j(name)}: ${j({ $ref: kernelRef(name) })}`),
    `    "RoomId": ${j({ description: 'A chat room, e.g. lobby.', type: 'string', pattern: '^[a-z0-9-]{1,64}$' })}`,
    ...MESSAGES.map((m) => messageLines(m).join('\n')),
  ];
  return [
    '{',
    `  "$schema": ${j(options.vocabulary)},`,
    `  "title": ${j(`${title} realtime protocol`)},`,
    `  "description": ${j(`Written by contractgen init. The protocol frames (hello, resume, error, ...) come from contractgen's kernel ${CURRENT_KERNEL} by $ref; the chat messages are yours to change. README: "Writing a contract".`)},`,
    '  "x-contract": {',
    `    "name": ${j(options.name)},`,
    '    "version": "0.1.0",',
    '    "protocolVersions": ["1.0"],',
    '    "sequencing": { "origin": 1 },',
    '    "session": { "ttlMs": 120000 },',
    '    "replayWindow": { "maxMessages": 1000, "maxBytes": 1048576 },',
    '    "heartbeatMs": 15000,',
    '    "maxFrameBytes": 65536,',
    '    "capabilities": ["ack", "resume"],',
    '    "transports": {',
    transports.map((t) => `      ${TRANSPORT_LINES[t]}`).join(',\n'),
    '    }',
    '  },',
    '  "$defs": {',
    defs.join(',\n'),
    '  }',
    '}',
    '',
  ].join('\n');
}
