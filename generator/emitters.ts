/**
 * The emitters of a build, in two groups: those that print through ts-morph (and so load the
 * TypeScript compiler, the slowest thing to load) and the rest. The pipeline runs the ts-morph
 * group in a worker thread while the main thread checks the spec and runs the others.
 */
import type { Project } from 'ts-morph';
import { emitClient } from './emit/client.js';
import { emitContract } from './emit/contract.js';
import { emitServer } from './emit/server.js';
import { emitValidators } from './emit/validators.js';
import type { GeneratedFile } from './files.js';
import type { ContractModel } from './model.js';
import { createProject } from './printer.js';

export type TsMorphEmitter = (model: ContractModel, project: Project) => GeneratedFile[];

/** Emitters that print TypeScript through ts-morph structures. */
export const tsMorphEmitters: readonly TsMorphEmitter[] = [emitValidators, emitContract, emitServer, emitClient];

/** Runs every ts-morph emitter on one project, in order. */
export function emitWithTsMorph(model: ContractModel): GeneratedFile[] {
  const project = createProject();
  return tsMorphEmitters.flatMap((emit) => emit(model, project));
}
