/**
 * Models of small contracts for the stage and emitter tests: a fixture spec (chat-mini, or the
 * canonical agent-ui spec), changed as a test needs, loaded, checked and modelled in memory.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { check } from '../../generator/checker.js';
import { ContractError, hasErrors } from '../../generator/diagnostics.js';
import { loadText } from '../../generator/loader.js';
import { buildModel, type ContractModel } from '../../generator/model.js';
import { repoRoot } from '../helpers.js';

const FIXTURES = { 'chat-mini': 'tests/fixtures/specs/chat-mini.schema.json', 'agent-ui': 'spec/protocol.schema.json' } as const;

/** A fresh copy of a fixture spec, to change. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function fixtureSpec(name: keyof typeof FIXTURES = 'chat-mini'): any {
  return JSON.parse(readFileSync(join(repoRoot, FIXTURES[name]), 'utf8'));
}

/** The model of a spec (checked first: a spec with errors throws its findings). */
export function modelOf(spec: unknown): ContractModel {
  const loaded = loadText('spec.json', JSON.stringify(spec, null, 2));
  const findings = check(loaded);
  if (hasErrors(findings)) throw new ContractError(findings);
  return buildModel(loaded, 'spec.json');
}

/** chat-mini, with a hello that carries application fields (the spec extends the kernel's HelloApp). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function withHelloApp(): any {
  const spec = fixtureSpec('chat-mini');
  spec.$defs.HelloApp = { type: 'object', properties: { region: { type: 'string' } } };
  spec.$defs.ProtocolHello.properties.payload.properties.app = { $ref: '#/$defs/HelloApp' };
  return spec;
}
