/**
 * Probe stage 1 — spec: what the probe expects of a live server, read from the spec itself (not
 * from generated/): the checked model, its conformance block, and validators compiled from the
 * spec's $defs, so that every frame and history answer the server sends can be judged.
 */
import type { ValidateFunction } from 'ajv';
import { describeAjvError, check } from '../checker.js';
import { compiledSchemas } from '../compiled-schemas.js';
import { ContractError, hasErrors } from '../diagnostics.js';
import { load } from '../loader.js';
import { vocabularyLabel } from '../vocabulary-validator.js';
import { buildModel, type ConformanceModel, type ContractModel, type HistoryEndpointModel, type MessageModel } from '../model.js';
import { isSchemaObject } from '../schema-walk.js';

export interface ProbeSpec {
  readonly file: string;
  readonly model: ContractModel;
  readonly conformance: ConformanceModel;
  /** Server-to-client messages by wire type. */
  readonly serverMessages: ReadonlyMap<string, MessageModel>;
  /** Q1: whether a server frame of this type is data (sequenced) by the spec. */
  isData(type: string): boolean;
  /** Why `frame` is not a valid server-to-client frame of the spec, or undefined when it is. */
  invalidFrame(frame: unknown): string | undefined;
  /** Why `body` is not a valid answer of the history endpoint, or undefined when it is. */
  invalidHistory(endpoint: HistoryEndpointModel, body: unknown): string | undefined;
  /** W2: the endpoint's query schema allows no parameter it does not declare. */
  closedQuery(endpoint: HistoryEndpointModel): boolean;
}

/** The spec cannot be probed with (no conformance block): a usage problem, not a server failure. */
export class ProbeSetupError extends Error {}

/** Loads and checks the spec (lint errors throw ContractError) and compiles its validators. */
export function loadProbeSpec(file: string): ProbeSpec {
  const spec = load(file);
  const findings = check(spec);
  if (hasErrors(findings)) throw new ContractError(findings.filter((f) => f.severity === 'error'));
  const model = buildModel(spec, file);
  const conformance = model.conformance;
  if (!conformance) {
    throw new ProbeSetupError(
      `${file} has no x-contract.conformance block, so the probe cannot make a server produce data; add one (see the "conformance" definition in ${vocabularyLabel()}, README: "Probing a live server")`,
    );
  }
  // The check above passed, vocabulary meta-schema first: this is its compile.
  const compiled = compiledSchemas(model.specHash, model.schemaId, model.defs, { metaSchemaChecked: true });
  const validator = (typeName: string): ValidateFunction => {
    const v = compiled.ajv.getSchema(`${compiled.id}#/$defs/${typeName}`);
    if (!v) throw new Error(`contractgen probe: no compiled schema for ${typeName}`);
    return v;
  };
  const describe = (v: ValidateFunction): string => {
    const e = v.errors?.[0];
    if (!e) return 'is invalid';
    const path = e.keyword === 'required' ? `${e.instancePath}/${String((e.params as { missingProperty?: unknown }).missingProperty)}` : e.instancePath;
    return `${path || '/'} ${describeAjvError(e)}`;
  };
  const serverMessages = new Map(model.messages.filter((m) => m.direction === 'server-to-client').map((m) => [m.type, m] as const));

  return {
    file,
    model,
    conformance,
    serverMessages,
    isData: (type) => serverMessages.get(type)?.sequenced === true,
    invalidFrame(frame) {
      const type = isSchemaObject(frame) ? frame.type : undefined;
      if (typeof type !== 'string') return 'is not a frame { type, header, payload }';
      const m = serverMessages.get(type);
      if (!m) return `"${type}" is not a server-to-client message of the spec`;
      const v = validator(m.typeName);
      return v(frame) ? undefined : `${type}: ${describe(v)}`;
    },
    invalidHistory(endpoint, body) {
      const v = validator(endpoint.responseTypeName);
      return v(body) ? undefined : `${endpoint.responseTypeName}: ${describe(v)}`;
    },
    closedQuery(endpoint) {
      const q = model.defs[endpoint.queryTypeName];
      return q?.additionalProperties === false;
    },
  };
}
