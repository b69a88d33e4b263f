/**
 * Stage 3 — model: the one typed picture of a checked contract. Every emitter reads this and
 * nothing else; collections are sorted here so that every artifact is deterministic.
 */
import { resolveLimits, type ContractLimits } from '../runtime/limits.js';
import { SYNTHETIC_ID } from './compiled-schemas.js';
import type { LoadedSpec } from './loader.js';
import { camelCase } from './naming.js';
import { compareVersions } from './rules/parameters.js';
import { messagesOf, type ContractBlock } from './rules/rule.js';
import { applicable, deref, isSchemaObject, propertySchema, requiresProperty, type Schema } from './schema-walk.js';

export type Direction = 'server-to-client' | 'client-to-server';
export type Role = 'data' | 'control';
export type TransportKind = 'websocket' | 'sse' | 'poll';

export interface FieldModel {
  readonly name: string;
  readonly required: boolean;
  /** Short human type, e.g. `integer >= 1`, `SessionId`, `"click" | "submit"`. */
  readonly typeLabel: string;
  readonly description?: string;
}

/** One branch of a payload's `oneOf`/`anyOf`: a label and its own fields. */
export interface VariantModel {
  /** The branch's title, else its discriminating `const` field (`kind = "text"`), else `variant N`. */
  readonly label: string;
  readonly fields: readonly FieldModel[];
}

export interface MessageModel {
  /** Wire discriminator, e.g. `ui.render`. */
  readonly type: string;
  /** TypeScript type name (the $defs key), e.g. `UiRender`. */
  readonly typeName: string;
  /** Method name in generated APIs, e.g. `uiRender`. */
  readonly memberName: string;
  readonly direction: Direction;
  readonly role: Role;
  /** Q1: only server-to-client data messages are stamped with seq. */
  readonly sequenced: boolean;
  /** One of the protocol.* kernel frames. */
  readonly kernel: boolean;
  readonly description: string;
  /** JSON pointer of the message schema in the spec. */
  readonly pointer: string;
  readonly headerTypeName?: string;
  /** Fields of the header (session_id, seq, ack, …), as declared by the header schema. */
  readonly headerFields: readonly FieldModel[];
  readonly payloadFields: readonly FieldModel[];
  /** The branches of a payload that is a `oneOf`/`anyOf` (empty when it is one object shape). */
  readonly payloadVariants: readonly VariantModel[];
  readonly examples: readonly unknown[];
}

export interface TransportModel {
  readonly kind: TransportKind;
  readonly path: string;
  /** SSE and poll: where client messages are POSTed. */
  readonly messagesPath?: string;
  /** poll: how long a poll is held open. */
  readonly holdMs?: number;
}

export interface HistoryEndpointModel {
  readonly name: string;
  readonly summary: string;
  readonly method: 'GET';
  readonly path: string;
  readonly pathParams: readonly { readonly name: string; readonly typeName?: string; readonly pattern?: string }[];
  readonly queryTypeName: string;
  readonly responseTypeName: string;
  readonly itemTypeName: string;
  readonly maxLimit?: number;
}

/** x-contract.conformance: how `contractgen probe` makes a server produce data (see the vocabulary). */
export interface ConformanceModel {
  /** The client message the probe sends; the probe fills header.session_id. */
  readonly trigger: { readonly type: string; readonly payload: Readonly<Record<string, unknown>> };
  /** Data messages the server emits per trigger. */
  readonly produces: number;
  /** Logs the probed server holds, read through the history endpoints. */
  readonly history: readonly { readonly endpoint: string; readonly params: Readonly<Record<string, string>>; readonly minItems: number }[];
  /**
   * What a generated server in conformance mode emits, in turn: the payload of every example of
   * every server-to-client data message, by type (the runtime stamps seq and session_id).
   */
  readonly samples: readonly { readonly type: string; readonly payload: unknown }[];
}

export interface ContractModel {
  /** Spec path as written in banners (relative, POSIX separators). */
  readonly specLabel: string;
  readonly specHash: string;
  readonly schemaId: string;
  readonly title: string;
  readonly description: string;
  readonly name: string;
  readonly version: string;
  /** Ascending. */
  readonly protocolVersions: readonly string[];
  readonly seqOrigin: number;
  readonly session: { readonly ttlMs: number; readonly idBits: number; readonly tokenBits: number };
  readonly replayWindow: { readonly maxMessages: number; readonly maxBytes: number };
  readonly heartbeatMs: number;
  readonly maxFrameBytes: number;
  /** L2: every bound of a server, x-contract.limits over the runtime's defaults. */
  readonly limits: ContractLimits;
  readonly capabilities: readonly string[];
  /** websocket, sse, poll — in that order, only those declared. */
  readonly transports: readonly TransportModel[];
  /** Sorted by type. */
  readonly messages: readonly MessageModel[];
  readonly history: readonly HistoryEndpointModel[];
  /** Only when the spec has an x-contract.conformance block. */
  readonly conformance?: ConformanceModel;
  /** Every $defs schema by name, sorted by name, x- keywords left in (emitters strip what they must). */
  readonly defs: Readonly<Record<string, Schema>>;
  /** When the spec takes definitions from the shipped kernel: which kernel, and the definitions that came from it (in `defs` like the spec's own). */
  readonly kernel?: { readonly id: string; readonly version: string; readonly major: number; readonly definitions: readonly string[] };
}

const TRANSPORT_ORDER: readonly TransportKind[] = ['websocket', 'sse', 'poll'];

export function buildModel(spec: LoadedSpec, specLabel: string): ContractModel {
  const root = spec.json as Schema;
  const c = root['x-contract'] as unknown as ContractBlock;
  const defsIn = isSchemaObject(root.$defs) ? root.$defs : {};
  const defs: Record<string, Schema> = {};
  for (const key of Object.keys(defsIn).sort()) defs[key] = defsIn[key] as Schema;

  const messages: MessageModel[] = messagesOf(root).map((m) => {
    const payload = propertySchema(root, m.schema, m.pointer, 'payload');
    const header = propertySchema(root, m.schema, m.pointer, 'header');
    return {
      type: m.type,
      typeName: m.defName,
      memberName: camelCase(m.type),
      direction: m.direction,
      role: m.role,
      sequenced: m.direction === 'server-to-client' && m.role === 'data',
      kernel: m.type.startsWith('protocol.'),
      description: typeof m.schema.description === 'string' ? m.schema.description : '',
      pointer: m.pointer,
      ...(header?.pointer.startsWith('/$defs/') && header.pointer.split('/').length === 3 ? { headerTypeName: header.pointer.split('/')[2]! } : {}),
      headerFields: header ? fieldsOf(root, header.schema, header.pointer) : [],
      payloadFields: payload ? fieldsOf(root, payload.schema, payload.pointer) : [],
      payloadVariants: payload ? variantsOf(root, payload.schema, payload.pointer) : [],
      examples: Array.isArray(m.schema.examples) ? m.schema.examples : [],
    };
  });

  const transports: TransportModel[] = TRANSPORT_ORDER.filter((k) => c.transports[k]).map((kind) => {
    const t = c.transports[kind]!;
    return { kind, path: t.path, ...(t.messagesPath ? { messagesPath: t.messagesPath } : {}), ...(t.holdMs ? { holdMs: t.holdMs } : {}) };
  });

  const history: HistoryEndpointModel[] = (c.history ?? []).map((h) => ({
    name: h.name,
    summary: h.summary ?? '',
    method: 'GET',
    path: h.path,
    pathParams: [...h.path.matchAll(/\{([^}]+)\}/g)].map((x) => {
      const name = x[1]!;
      const s = h.pathParams && Object.hasOwn(h.pathParams, name) ? h.pathParams[name] : undefined;
      const target = s ? deref(root, s, '') : undefined;
      const typeName = typeof s?.$ref === 'string' ? s.$ref.split('/').pop() : undefined;
      const pattern = typeof target?.schema.pattern === 'string' ? target.schema.pattern : undefined;
      return { name, ...(typeName ? { typeName } : {}), ...(pattern ? { pattern } : {}) };
    }),
    queryTypeName: refName(h.query.$ref),
    responseTypeName: refName(h.response.$ref),
    itemTypeName: refName(h.item.$ref),
    ...(h.maxLimit !== undefined ? { maxLimit: h.maxLimit } : {}),
  }));

  const conformance: ConformanceModel | undefined = c.conformance
    ? {
        trigger: { type: c.conformance.trigger.type, payload: c.conformance.trigger.payload },
        produces: c.conformance.produces,
        history: (c.conformance.history ?? []).map((h) => ({ endpoint: h.endpoint, params: h.params, minItems: h.minItems })),
        samples: messages
          .filter((m) => m.sequenced)
          .flatMap((m) => m.examples.map((e) => ({ type: m.type, payload: (e as { payload?: unknown } | null)?.payload })))
          .filter((s) => s.payload !== undefined),
      }
    : undefined;

  return {
    specLabel,
    specHash: spec.hash,
    schemaId: typeof root.$id === 'string' ? root.$id : SYNTHETIC_ID,
    title: typeof root.title === 'string' ? root.title : c.name,
    description: typeof root.description === 'string' ? root.description : '',
    name: c.name,
    version: c.version,
    protocolVersions: [...c.protocolVersions].sort(compareVersions),
    seqOrigin: c.sequencing.origin,
    session: { ttlMs: c.session.ttlMs, idBits: c.session.idBits ?? 128, tokenBits: c.session.tokenBits ?? 256 },
    replayWindow: { maxMessages: c.replayWindow.maxMessages, maxBytes: c.replayWindow.maxBytes },
    heartbeatMs: c.heartbeatMs,
    maxFrameBytes: c.maxFrameBytes,
    limits: resolveLimits(c, c.limits),
    capabilities: [...(c.capabilities ?? [])].sort(),
    transports,
    messages,
    history,
    ...(conformance ? { conformance } : {}),
    defs,
    // The shipped file's path depends on where contractgen is installed, so the model keeps only what is the same everywhere.
    ...(spec.kernel ? { kernel: { id: spec.kernel.id, version: spec.kernel.version, major: Number(spec.kernel.version.split('.')[0]), definitions: spec.kernel.definitions } } : {}),
  };
}

function refName(ref: string): string {
  return ref.split('/').pop()!;
}

/** The declared properties of an object schema, through its $ref and allOf members, in order. */
function fieldsOf(root: Schema, schema: Schema, pointer: string): FieldModel[] {
  const props: Record<string, Schema> = {};
  for (const r of applicable(root, schema, pointer)) {
    if (isSchemaObject(r.schema.properties)) for (const [name, p] of Object.entries(r.schema.properties)) if (!(name in props) && isSchemaObject(p)) props[name] = p;
  }
  return Object.keys(props).map((name) => {
    const declared = props[name] as Schema;
    const resolved = propertySchema(root, schema, pointer, name);
    const description = typeof declared.description === 'string' ? declared.description : typeof resolved?.schema.description === 'string' ? resolved.schema.description : undefined;
    return { name, required: requiresProperty(root, schema, pointer, name), typeLabel: typeLabel(root, declared), ...(description ? { description } : {}) };
  });
}

/** The branches of a `oneOf`/`anyOf` payload, each with its fields (docs show every one, not "none"). */
function variantsOf(root: Schema, schema: Schema, pointer: string): VariantModel[] {
  for (const r of applicable(root, schema, pointer)) {
    const key = Array.isArray(r.schema.oneOf) ? 'oneOf' : Array.isArray(r.schema.anyOf) ? 'anyOf' : undefined;
    if (!key) continue;
    return (r.schema[key] as unknown[]).flatMap((branch, i) => {
      if (!isSchemaObject(branch)) return [];
      const at = deref(root, branch, `${r.pointer}/${key}/${i}`) ?? { schema: branch, pointer: `${r.pointer}/${key}/${i}` };
      const fields = fieldsOf(root, at.schema, at.pointer);
      return [{ label: variantLabel(root, at.schema, at.pointer, fields, i), fields }];
    });
  }
  return [];
}

function variantLabel(root: Schema, schema: Schema, pointer: string, fields: readonly FieldModel[], index: number): string {
  if (typeof schema.title === 'string' && schema.title.trim() !== '') return schema.title.trim();
  for (const f of fields) {
    const s = propertySchema(root, schema, pointer, f.name)?.schema;
    if (s && 'const' in s) return `${f.name} = ${JSON.stringify(s.const)}`;
  }
  return typeof schema.$ref === 'string' ? schema.$ref.split('/').pop()! : `variant ${index + 1}`;
}

/** A short human label for a schema, used in docs and error text. */
export function typeLabel(root: Schema, s: Schema): string {
  if (typeof s.$ref === 'string') return s.$ref.split('/').pop()!;
  if ('const' in s) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (s.type === 'array') {
    const items = isSchemaObject(s.items) ? typeLabel(root, s.items) : 'any';
    return `${items}[]`;
  }
  if (s.type === 'integer' || s.type === 'number') {
    const bounds = [typeof s.minimum === 'number' ? `>= ${s.minimum}` : '', typeof s.maximum === 'number' && s.maximum < Number.MAX_SAFE_INTEGER ? `<= ${s.maximum}` : ''].filter(Boolean);
    return [s.type, ...bounds].join(' ');
  }
  if (typeof s.type === 'string') return s.type;
  if (Array.isArray(s.type)) return s.type.join(' | ');
  if (isSchemaObject(s.properties)) return 'object';
  return 'any JSON';
}
