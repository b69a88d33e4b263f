/**
 * A typed facade over a generic runtime factory (what emit/server.ts and emit/client.ts print):
 * the runtime's types named for the contract, each instantiated with its `<Prefix>Protocol`, and
 * one factory that hands the runtime the contract's descriptor (contract.ts, validators.ts).
 */
import { ts, tsObjectInline, type Code } from './escape.js';
import type { ContractModel } from './model.js';
import type { TsFile } from './printer.js';

export interface FacadeSpec {
  /** The runtime module the types and the factory come from (relative to the output folder). */
  readonly runtime: string;
  /** `[alias, runtime type, docs]`: `export type <alias> = <runtime type><Protocol>;`. */
  readonly aliases: readonly (readonly [alias: Code, runtimeType: string, docs?: string])[];
  readonly factory: { readonly name: Code; readonly docs: string; readonly options: Code; readonly returns: Code; readonly runtimeFactory: string };
}

export function printFacade(file: TsFile, model: ContractModel, spec: FacadeSpec): void {
  const Protocol = file.use(model.api.protocol, './contract.js', { type: true });
  for (const [alias, runtimeType, docs] of spec.aliases) {
    file.typeAlias({ name: alias, type: ts`${file.use(runtimeType, spec.runtime, { type: true })}<${Protocol}>`, ...(docs ? { docs: [docs] } : {}) });
  }
  const descriptor = tsObjectInline([
    ['contract', file.use('contract', './contract.js')],
    ['validators', file.use('validators', './validators.js')],
  ]);
  file.function({
    name: spec.factory.name,
    docs: [spec.factory.docs],
    parameters: [{ name: ts`options`, type: spec.factory.options }],
    returnType: spec.factory.returns,
    body: ts`return ${file.use(spec.factory.runtimeFactory, spec.runtime)}<${Protocol}>(${descriptor}, options);`,
  });
}
