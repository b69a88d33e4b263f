/**
 * Shared by the machine exports (asyncapi.json, openapi.json): the spec's schemas moved under
 * another document's components (refs rewritten, contractgen's x- keywords dropped), the set of
 * schemas a document needs, and deterministic JSON: sorted keys except a fixed document head.
 */
import { bannerText } from './files.js';
import type { ContractModel, MessageModel } from './model.js';
import { isSchemaObject } from './schema-walk.js';

/** Keys whose value maps names to schemas: their keys are names, not keywords. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
/** Keys whose value is not a schema at all (data): copied as they are. */
const DATA_KEYS = new Set(['examples', 'example', 'const', 'enum', 'default']);

/**
 * A spec schema as it appears in an export: `#/$defs/X` becomes `<refBase>X`, and keywords
 * starting with `x-` (contractgen's vocabulary) are dropped. Property names are never touched.
 */
export function exportSchema(schema: unknown, refBase: string): unknown {
  if (Array.isArray(schema)) return schema.map((s) => exportSchema(s, refBase));
  if (!isSchemaObject(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith('x-')) continue;
    if (key === '$ref' && typeof value === 'string' && value.startsWith('#/$defs/')) out[key] = `${refBase}${value.slice('#/$defs/'.length)}`;
    else if (DATA_KEYS.has(key)) out[key] = value;
    else if (SCHEMA_MAPS.has(key) && isSchemaObject(value)) out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, exportSchema(sub, refBase)]));
    else out[key] = exportSchema(value, refBase);
  }
  return out;
}

/** Names of the $defs the given schemas reference, directly or through each other, sorted. */
export function referencedDefs(model: ContractModel, roots: readonly unknown[]): string[] {
  const seen = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (!isSchemaObject(value)) return;
    for (const [key, sub] of Object.entries(value)) {
      if (key === '$ref' && typeof sub === 'string' && sub.startsWith('#/$defs/')) {
        const name = sub.slice('#/$defs/'.length);
        if (!seen.has(name) && Object.hasOwn(model.defs, name)) {
          seen.add(name);
          visit(model.defs[name]);
        }
      } else if (!DATA_KEYS.has(key)) visit(sub);
    }
  };
  roots.forEach(visit);
  return [...seen].sort();
}

/** The schema a field of a message declares, moved under `refBase` (its `$ref` as written, so the export points at the named schema); the fallback when the spec does not declare it. */
export function declaredField(message: MessageModel | undefined, part: 'header' | 'payload', name: string, refBase: string, fallback: Record<string, unknown>): unknown {
  const field = (part === 'header' ? message?.headerFields : message?.payloadFields)?.find((f) => f.name === name);
  return field ? exportSchema(field.schema, refBase) : fallback;
}

/** Objects with sorted keys, all the way down; arrays keep their order (it means something). */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isSchemaObject(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys(value[k])]),
  );
}

/**
 * A document as JSON text: 2-space indent, final newline, keys sorted everywhere except the
 * head: `head` keys first in the order given (the format's version key, then `info`), and in
 * `info` title, version and `x-generated-by` first. The banner must sit in the first lines, where
 * contractgen recognises its own files.
 */
export function documentJson(doc: Record<string, unknown>, head: readonly string[]): string {
  const sorted = sortKeys(doc) as Record<string, unknown>;
  const ordered: Record<string, unknown> = {};
  for (const key of head) if (key in sorted) ordered[key] = sorted[key];
  for (const key of Object.keys(sorted)) if (!(key in ordered)) ordered[key] = sorted[key];
  if (isSchemaObject(ordered.info)) {
    const info = ordered.info;
    const first = ['title', 'version', 'x-generated-by'];
    ordered.info = Object.fromEntries([...first.filter((k) => k in info).map((k) => [k, info[k]]), ...Object.keys(info).filter((k) => !first.includes(k)).map((k) => [k, info[k]])]);
  }
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** `info` of an export: the contract's name and version, the banner and the spec description. */
export function exportInfo(model: ContractModel, purpose: string): Record<string, unknown> {
  return {
    title: model.title,
    version: model.version,
    'x-generated-by': bannerText(model, purpose),
    ...(model.description ? { description: model.description } : {}),
  };
}

/** The protocol parameters every export carries as an `x-protocol` extension. */
export function protocolExtension(model: ContractModel): Record<string, unknown> {
  return {
    contract: model.name,
    contractVersion: model.version,
    protocolVersions: [...model.protocolVersions],
    versionNegotiation: 'the client lists the versions it speaks in the `versions` query parameter (comma-separated); the server picks the highest common one or refuses with protocol.error unsupported_version (H2)',
    seqOrigin: model.seqOrigin,
    session: { ttlMs: model.session.ttlMs, idBits: model.session.idBits, tokenBits: model.session.tokenBits },
    replayWindow: { maxMessages: model.replayWindow.maxMessages, maxBytes: model.replayWindow.maxBytes },
    heartbeatMs: model.heartbeatMs,
    maxFrameBytes: model.maxFrameBytes,
    limits: { ...model.limits },
    capabilities: [...model.capabilities],
    cursor: 'one cursor on every transport: poll `cursor` = SSE `id`/`Last-Event-ID` = WebSocket `last_seen_seq` = the last seq the client processed; seq = index + 1 in the session log (R4)',
    sequencedMessages: model.messages.filter((m) => m.sequenced).map((m) => m.type),
  };
}
