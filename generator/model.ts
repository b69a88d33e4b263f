/**
 * Stage 3 — model: the one typed picture of a checked contract. Every emitter reads this and
 * nothing else: the protocol parameters (typed from the runtime's ContractDescriptor, the one
 * declaration of a contract's shape), every message with its fields and names, every history
 * endpoint with its parameters and examples, and the `$defs` catalogue for the emitters that print
 * or export schemas. Names are computed and checked here (model/names.ts), collections sorted,
 * so that every artifact is deterministic. The stages: model/contract-block.ts (the spec as
 * written), model/fields.ts, model/messages.ts, model/history.ts, model/names.ts.
 */
import type { ContractDescriptor, Direction, Role, TransportKind } from '../runtime/contract.js';
import { resolveLimits, type ContractLimits } from '../runtime/limits.js';
import { SYNTHETIC_ID } from './compiled-schemas.js';
import type { Code } from './escape.js';
import type { LoadedSpec } from './loader.js';
import { compareVersions, contractBlock, messagesOf } from './model/contract-block.js';
import type { FieldModel, VariantModel } from './model/fields.js';
import { historyModel } from './model/history.js';
import { messageModel } from './model/messages.js';
import { apiNames, apiPrefix, pythonNames, pythonValidator, rawValidatorName, validatorName, type ApiNames } from './model/names.js';
import { isSchemaObject, type Schema } from './schema-walk.js';

export type { Direction, Role, TransportKind };
export type { FieldModel, VariantModel };

export interface MessageModel {
  /** Wire discriminator, e.g. `ui.render`. */
  readonly type: string;
  /** TypeScript type name (the $defs key), e.g. `UiRender`. */
  readonly typeName: string;
  /** Method name in generated APIs, e.g. `uiRender` (G1: a checked identifier). */
  readonly memberName: Code;
  readonly direction: Direction;
  readonly role: Role;
  /** Q1: only server-to-client data messages are stamped with seq. */
  readonly sequenced: boolean;
  /** One of the protocol.* kernel frames. */
  readonly kernel: boolean;
  /** A client message the application handles (client-to-server, not a kernel frame): one handler and one `send` each. */
  readonly application: boolean;
  /** C4: the type of the server-to-client data message that answers it (`x-message.reply`). */
  readonly reply?: string;
  readonly description: string;
  /** The first sentence of the description, on one line. */
  readonly summary: string;
  /** JSON pointer of the message schema in the spec. */
  readonly pointer: string;
  readonly headerTypeName?: string;
  /** Fields of the header (session_id, seq, ack, …), as declared by the header schema. */
  readonly headerFields: readonly FieldModel[];
  readonly payloadFields: readonly FieldModel[];
  /** The branches of a payload that is a `oneOf`/`anyOf` (empty when it is one object shape). */
  readonly payloadVariants: readonly VariantModel[];
  readonly examples: readonly unknown[];
  /** Validator names: the frame's, and for a data message its payload's (Q3: the outbox builds the envelope). */
  readonly validator: ValidatorModel;
  readonly payloadValidator?: ValidatorModel;
  /** Names in the Python package (checked where it is written). */
  readonly python: { readonly member: string; readonly validator: string; readonly payloadValidator?: string };
}

/** One validator of validators.ts and its Ajv function in validators.ajv.ts. */
export interface ValidatorModel {
  readonly name: Code;
  readonly raw: Code;
  /** JSON pointer of the schema it checks. */
  readonly pointer: string;
  /** What it names in a failure: the message type, or the schema name. */
  readonly subject: string;
}

/** A schema that gets a validator of its own: every message and every schema a history endpoint names. */
export interface ValidatedSchemaModel extends ValidatorModel {
  readonly typeName: string;
  /** The message whose frame it validates, if it is one. */
  readonly message?: MessageModel;
  /** Its name in the Python package's validators.py. */
  readonly python: string;
}

export interface TransportModel {
  readonly kind: TransportKind;
  readonly path: string;
  /** SSE and poll: where client messages are POSTed. */
  readonly messagesPath?: string;
  /** poll: how long a poll is held open. */
  readonly holdMs?: number;
}

export interface HistoryParamModel {
  readonly name: string;
  readonly description: string;
  readonly minimum?: number;
  /** The parameter's schema as the query schema declares it. */
  readonly schema: Schema;
}

export interface HistoryEndpointModel {
  readonly name: string;
  readonly summary: string;
  readonly method: 'GET';
  readonly path: string;
  readonly pathParams: readonly { readonly name: string; readonly typeName?: string; readonly pattern?: string }[];
  /** W1: the query parameters the query schema declares, in order. */
  readonly queryParams: readonly HistoryParamModel[];
  readonly queryTypeName: string;
  readonly responseTypeName: string;
  readonly itemTypeName: string;
  /** The `examples` of the query and response schemas. */
  readonly queryExamples: readonly unknown[];
  readonly responseExamples: readonly unknown[];
  readonly maxLimit?: number;
  /** The history store's parameter of the Python server factory. */
  readonly python: { readonly store: string };
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
  /**
   * C4: when the trigger declares a reply, the last of the `produces` data messages is that reply,
   * naming the trigger's cseq; its payload is the reply message's first example. Replies are not
   * among `samples`: they are only ever sent as an answer.
   */
  readonly reply?: { readonly type: string; readonly payload: unknown };
}

/** The protocol parameters, as the runtime's descriptor declares them. */
type Parameters = Pick<ContractDescriptor, 'name' | 'version' | 'specHash' | 'protocolVersions' | 'seqOrigin' | 'session' | 'replayWindow' | 'heartbeatMs' | 'maxFrameBytes' | 'capabilities'>;

export interface ContractModel extends Parameters {
  /** Spec path as written in banners (relative, POSIX separators). */
  readonly specLabel: string;
  readonly schemaId: string;
  readonly title: string;
  readonly description: string;
  /** Ascending. */
  readonly protocolVersions: readonly string[];
  /** L2: every bound of a server, x-contract.limits over the runtime's defaults. */
  readonly limits: ContractLimits;
  /** websocket, sse, poll — in that order, only those declared. */
  readonly transports: readonly TransportModel[];
  /** Sorted by type. */
  readonly messages: readonly MessageModel[];
  readonly history: readonly HistoryEndpointModel[];
  /** Every schema with a validator of its own, sorted by type name. */
  readonly validated: readonly ValidatedSchemaModel[];
  /** The `$defs` type of the hello's application fields (`payload.app`), when the spec extends the kernel's HelloApp. */
  readonly helloAppTypeName?: string;
  /** Only when the spec has an x-contract.conformance block. */
  readonly conformance?: ConformanceModel;
  /** The names of the generated TypeScript API (`AgentUi`, `AgentUiHandlers`, `createAgentUiServer`, …). */
  readonly api: ApiNames;
  /** The names of the Python package (`agent_ui`, `create_agent_ui_server`, …). */
  readonly python: ReturnType<typeof pythonNames>;
  /** Every $defs schema by name, sorted by name, x- keywords left in (emitters strip what they must). */
  readonly defs: Readonly<Record<string, Schema>>;
  /** When the spec takes definitions from the shipped kernel: which kernel, and the definitions that came from it (in `defs` like the spec's own). */
  readonly kernel?: { readonly id: string; readonly version: string; readonly major: number; readonly definitions: readonly string[] };
}

const TRANSPORT_ORDER: readonly TransportKind[] = ['websocket', 'sse', 'poll'];

export function buildModel(spec: LoadedSpec, specLabel: string): ContractModel {
  const root = spec.json as Schema;
  const c = contractBlock(root);
  const defsIn = isSchemaObject(root.$defs) ? root.$defs : {};
  const defs: Record<string, Schema> = {};
  for (const key of Object.keys(defsIn).sort()) defs[key] = defsIn[key] as Schema;

  const messages = messagesOf(root).map((m) => messageModel(root, m));
  const history = (c.history ?? []).map((h) => historyModel(root, h));

  const transports: TransportModel[] = TRANSPORT_ORDER.flatMap((kind) => {
    const t = c.transports[kind];
    if (!t) return [];
    return [{ kind, path: t.path, ...('messagesPath' in t ? { messagesPath: t.messagesPath } : {}), ...('holdMs' in t ? { holdMs: t.holdMs } : {}) }];
  });

  const triggerReply = c.conformance ? messages.find((m) => m.type === c.conformance!.trigger.type)?.reply : undefined;
  const payloadsOf = (m: (typeof messages)[number]): unknown[] => m.examples.map((e) => (e as { payload?: unknown } | null)?.payload).filter((p) => p !== undefined);
  const replyPayload = triggerReply === undefined ? undefined : messages.filter((m) => m.type === triggerReply).flatMap(payloadsOf)[0];
  const conformance: ConformanceModel | undefined = c.conformance
    ? {
        trigger: { type: c.conformance.trigger.type, payload: c.conformance.trigger.payload },
        produces: c.conformance.produces,
        history: (c.conformance.history ?? []).map((h) => ({ endpoint: h.endpoint, params: h.params, minItems: h.minItems })),
        samples: messages.filter((m) => m.sequenced && m.type !== triggerReply).flatMap((m) => payloadsOf(m).map((payload) => ({ type: m.type, payload }))),
        ...(triggerReply !== undefined && replyPayload !== undefined ? { reply: { type: triggerReply, payload: replyPayload } } : {}),
      }
    : undefined;

  const app = messages.find((m) => m.type === 'protocol.hello')?.payloadFields.find((f) => f.name === 'app')?.typeName;

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
    validated: validatedSchemas(messages, history),
    ...(app ? { helloAppTypeName: app } : {}),
    ...(conformance ? { conformance } : {}),
    api: apiNames(apiPrefix(c.name)),
    python: pythonNames(c.name),
    defs,
    // The shipped file's path depends on where contractgen is installed, so the model keeps only what is the same everywhere.
    ...(spec.kernel ? { kernel: { id: spec.kernel.id, version: spec.kernel.version, major: Number(spec.kernel.version.split('.')[0]), definitions: spec.kernel.definitions } } : {}),
  };
}

/** Every message and every schema a history endpoint names, once each, sorted by type name. */
function validatedSchemas(messages: readonly MessageModel[], history: readonly HistoryEndpointModel[]): ValidatedSchemaModel[] {
  const byName = new Map<string, ValidatedSchemaModel>();
  for (const m of messages) byName.set(m.typeName, { ...m.validator, typeName: m.typeName, message: m, python: m.python.validator });
  for (const h of history) {
    for (const typeName of [h.queryTypeName, h.responseTypeName, h.itemTypeName]) {
      if (!byName.has(typeName)) byName.set(typeName, { name: validatorName(typeName), raw: rawValidatorName(typeName), pointer: `/$defs/${typeName}`, subject: typeName, typeName, python: pythonValidator(typeName) });
    }
  }
  return [...byName.values()].sort((a, b) => (a.typeName < b.typeName ? -1 : a.typeName > b.typeName ? 1 : 0));
}
