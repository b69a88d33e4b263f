/**
 * Model stage — history: one `HistoryEndpointModel` per `x-contract.history` entry (W1–W6): its
 * path parameters with their patterns, the query parameters its query schema declares, the
 * schemas it names and their examples.
 */
import type { HistoryEndpointModel } from '../model.js';
import { snakeCase } from '../naming.js';
import { deref, isSchemaObject, type Schema } from '../schema-walk.js';
import type { HistoryBlock } from './contract-block.js';

export function historyModel(root: Schema, h: HistoryBlock): HistoryEndpointModel {
  const queryTypeName = refName(h.query.$ref);
  const responseTypeName = refName(h.response.$ref);
  const query = defOf(root, queryTypeName);
  return {
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
    // Only the query schema's own properties: W1 names them, and rules hold the schema to them.
    queryParams: query && isSchemaObject(query.properties)
      ? Object.entries(query.properties).flatMap(([name, p]) =>
          isSchemaObject(p) ? [{ name, description: typeof p.description === 'string' ? p.description : '', ...(typeof p.minimum === 'number' ? { minimum: p.minimum } : {}), schema: p }] : [],
        )
      : [],
    queryTypeName,
    responseTypeName,
    itemTypeName: refName(h.item.$ref),
    queryExamples: examplesOf(query),
    responseExamples: examplesOf(defOf(root, responseTypeName)),
    ...(h.maxLimit !== undefined ? { maxLimit: h.maxLimit } : {}),
    python: { store: snakeCase(h.name) },
  };
}

function refName(ref: string): string {
  return ref.split('/').pop()!;
}

function defOf(root: Schema, name: string): Schema | undefined {
  const defs = root.$defs;
  return isSchemaObject(defs) && Object.hasOwn(defs, name) && isSchemaObject(defs[name]) ? defs[name] : undefined;
}

function examplesOf(schema: Schema | undefined): readonly unknown[] {
  return Array.isArray(schema?.examples) ? schema.examples : [];
}
