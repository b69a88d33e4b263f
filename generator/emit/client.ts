/**
 * Emitter — `client.ts`: the typed client of the contract, a facade over the runtime's generic
 * client (runtime/client/contract-client.ts): its types named for the contract, and one factory
 * that hands the runtime the contract's descriptor (contract.ts, validators.ts). `on.<message>`,
 * `send.<message>`, the history views and the options are the runtime's, typed by the contract's
 * `<Prefix>Protocol`.
 */
import type { Project } from 'ts-morph';
import { ts, tsObjectInline } from '../escape.js';
import type { GeneratedFile } from '../files.js';
import type { ContractModel } from '../model.js';
import { createTsFile } from '../printer.js';

const RUNTIME = './runtime/client/contract-client.js';

export function emitClient(model: ContractModel, project: Project): GeneratedFile[] {
  const file = createTsFile(project, model, 'client.ts', 'The typed client: on.<message>, send.<message>, history views, reconnect and resume.');
  const n = model.api;
  const Protocol = file.use(n.protocol, './contract.js', { type: true });
  const runtimeType = (name: string) => ts`${file.use(name, RUNTIME, { type: true })}<${Protocol}>`;

  file.typeAlias({ name: n.clientOptions, type: runtimeType('ContractClientOptions') });
  file.typeAlias({ name: n.listeners, type: runtimeType('Listeners'), docs: ['Q4: `on.<message>(handler)` per server-to-client message; data handlers run once per message, in seq order.'] });
  file.typeAlias({ name: n.senders, type: runtimeType('Senders'), docs: ['S5: `send.<message>(payload)` per client-to-server application message, validated before it leaves.'] });
  if (model.history.length > 0) file.typeAlias({ name: n.history, type: runtimeType('HistoryViews'), docs: ['W3–W5: a history view per endpoint.'] });
  file.typeAlias({ name: n.client, type: runtimeType('ContractClient') });
  file.function({
    name: n.clientFactory,
    docs: [`Creates a client of the ${model.name} contract. In Node 20 pass \`WebSocket\` from the \`ws\` package; in browsers the globals are used.`],
    parameters: [{ name: ts`options`, type: n.clientOptions }],
    returnType: n.client,
    body: ts`return ${file.use('createContractClient', RUNTIME)}<${Protocol}>(${tsObjectInline([['contract', file.use('contract', './contract.js')], ['validators', file.use('validators', './validators.js')]])}, options);`,
  });
  return [file.done()];
}
