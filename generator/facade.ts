/**
 * A typed facade over a generic runtime factory (what emit/server.ts and emit/client.ts print):
 * the runtime's types named for the contract, each instantiated with its `<Prefix>Protocol`, and
 * one factory that hands the runtime the contract's descriptor (contract.ts, validators.ts).
 */
import { ts, tsObjectInline, type Code } from './escape.js';
import type { ContractModel } from './model.js';
import type { TsFile, TypeParameterSpec } from './printer.js';

export interface FacadeSpec {
  /** The runtime module the types and the factory come from (relative to the output folder). */
  readonly runtime: string;
  /** `[alias, runtime type, docs, generic]`: `export type <alias> = <runtime type><Protocol>;` (generic: `<alias><T = D> = <runtime type><Protocol, T>`). */
  readonly aliases: readonly (readonly [alias: Code, runtimeType: string, docs?: string, generic?: boolean])[];
  readonly factory: { readonly name: Code; readonly docs: string; readonly options: Code; readonly returns: Code; readonly runtimeFactory: string };
  /** A type parameter the generic aliases and the factory pass on after the protocol (the server's `Principal = undefined`). */
  readonly typeParameter?: TypeParameterSpec;
}

export function printFacade(file: TsFile, model: ContractModel, spec: FacadeSpec): void {
  const Protocol = file.use(model.api.protocol, './contract.js', { type: true });
  const param = spec.typeParameter;
  const args = (generic: boolean | undefined): Code => (generic && param ? ts`${Protocol}, ${param.name}` : Protocol);
  const own = (generic: boolean | undefined): { typeParameters?: readonly TypeParameterSpec[] } => (generic && param ? { typeParameters: [param] } : {});
  for (const [alias, runtimeType, docs, generic] of spec.aliases) {
    file.typeAlias({ name: alias, type: ts`${file.use(runtimeType, spec.runtime, { type: true })}<${args(generic)}>`, ...(docs ? { docs: [docs] } : {}), ...own(generic) });
  }
  const typed = (name: Code): Code => (param ? ts`${name}<${param.name}>` : name);
  const descriptor = tsObjectInline([
    ['contract', file.use('contract', './contract.js')],
    ['validators', file.use('validators', './validators.js')],
  ]);
  file.function({
    name: spec.factory.name,
    docs: [spec.factory.docs],
    parameters: [{ name: ts`options`, type: typed(spec.factory.options) }],
    returnType: typed(spec.factory.returns),
    ...own(true),
    body: ts`return ${file.use(spec.factory.runtimeFactory, spec.runtime)}<${args(true)}>(${descriptor}, options);`,
  });
}
