/**
 * Emitter — `types.ts`: one named TypeScript type per $defs entry, printed by
 * json-schema-to-typescript, plus the unions per direction and role, the message-type string
 * unions and a type map, all declared as schemas so that one library prints every type. The
 * format stage (formatter.ts) lays it out like every other emitted file.
 */
import { compile, type JSONSchema } from 'json-schema-to-typescript';
import { banner, textFile, type GeneratedFile } from '../files.js';
import type { ContractModel, MessageModel } from '../model.js';
import { RESERVED_TYPE_NAMES } from '../model/names.js';
import { withoutKeywords, type Schema } from '../schema-walk.js';

/** Keywords that are ours or that json-schema-to-typescript would turn into extra names. */
const DROP = new Set(['x-message', 'x-contract', 'examples', 'title', '$comment']);

const NAME_MAPS = new Set(['properties', 'patternProperties', '$defs']);

const refTo = (name: string) => ({ $ref: `#/$defs/${name}` });

function union(title: string, description: string, members: readonly MessageModel[]): Schema {
  return members.length > 0 ? { title, description, anyOf: members.map((m) => refTo(m.typeName)) } : { title, description, not: {} };
}

function typeEnum(title: string, description: string, members: readonly MessageModel[]): Schema {
  return members.length > 0 ? { title, description, type: 'string', enum: members.map((m) => m.type) } : { title, description, not: {} };
}

/** The schema handed to json-schema-to-typescript: the spec's $defs plus the derived unions. */
export function typesSchema(model: ContractModel): Schema {
  const server = model.messages.filter((m) => m.direction === 'server-to-client');
  const client = model.messages.filter((m) => m.direction === 'client-to-server');
  const defs: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(model.defs)) defs[name] = { ...(withoutKeywords(schema, DROP, { maps: NAME_MAPS }) as Schema), title: name };
  const derived: Record<string, Schema> = {
    ServerMessage: union('ServerMessage', 'Every frame the server sends, discriminated by `type`.', server),
    ClientMessage: union('ClientMessage', 'Every frame a client sends, discriminated by `type`.', client),
    ServerDataMessage: union('ServerDataMessage', 'Q1: server frames stamped with header.seq by the outbox.', server.filter((m) => m.sequenced)),
    ServerControlMessage: union('ServerControlMessage', 'Q1: server frames that never carry header.seq.', server.filter((m) => !m.sequenced)),
    MessageType: typeEnum('MessageType', 'Every message type of the contract.', model.messages),
    ServerMessageType: typeEnum('ServerMessageType', 'Types of server-to-client messages.', server),
    ClientMessageType: typeEnum('ClientMessageType', 'Types of client-to-server messages.', client),
  };
  derived.Message = { title: 'Message', description: `Any frame of the ${model.name} contract, in either direction.`, anyOf: [refTo('ServerMessage'), refTo('ClientMessage')] };
  for (const name of RESERVED_TYPE_NAMES) if (derived[name]) defs[name] = derived[name];
  // The root is an object schema so that json-schema-to-typescript declares every $defs entry
  // (it only does that for object roots), and MessageByType is a type worth having anyway.
  return {
    title: 'MessageByType',
    description: 'Message type → its frame type, for generic helpers.',
    type: 'object',
    additionalProperties: false,
    required: model.messages.map((m) => m.type),
    properties: Object.fromEntries(model.messages.map((m) => [m.type, refTo(m.typeName)])),
    $defs: Object.fromEntries(Object.keys(defs).sort().map((k) => [k, defs[k]])),
  };
}

/**
 * json-schema-to-typescript notes on every $defs entry that it was "referenced by" the root;
 * here the root is only a vehicle, so the note is noise.
 */
const REFERENCED_BY = /(?:\n \*\s*)?\n \* This interface was referenced by `MessageByType`'s JSON-Schema\n \* via the `definition` "[A-Za-z0-9]+"\./g;

export async function emitTypes(model: ContractModel): Promise<GeneratedFile[]> {
  const schema = typesSchema(model);
  const raw = await compile(schema as JSONSchema, 'MessageByType', {
    bannerComment: '',
    additionalProperties: false,
    unreachableDefinitions: true,
    declareExternallyReferenced: true,
    strictIndexSignatures: false,
    format: false, // the format stage formats every emitted TypeScript file the same way
  });
  const code = raw.replace(REFERENCED_BY, '').replace(/\/\*\*\s*\*\/\n/g, '');
  assertNamedTypes(code, Object.keys(schema.$defs as object).concat('MessageByType'));
  return [{ ...textFile('types.ts', banner(model, 'Types of every message and schema of the contract.', 'line') + '\n' + code.trim()), format: true }];
}

/** Every declared type must be a name we chose: no AnonymousSchema, no numbered duplicates. */
function assertNamedTypes(code: string, names: readonly string[]): void {
  const allowed = new Set(names);
  const declared = [...code.matchAll(/^export (?:type|interface) (\w+)/gm)].map((m) => m[1]!);
  const stray = declared.filter((d) => !allowed.has(d));
  if (stray.length > 0) {
    throw new Error(`types emitter: json-schema-to-typescript declared unexpected names (${stray.join(', ')}); give the schema a $defs entry instead of an inline title`);
  }
}
