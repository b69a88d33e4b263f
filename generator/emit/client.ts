/**
 * Emitter — `client.ts`: the typed client of the contract, a facade over the runtime's generic
 * client (runtime/client/contract-client.ts): its types named for the contract, and one factory
 * that hands the runtime the contract's descriptor. `on.<message>`, `send.<message>`, the
 * history views and the options are the runtime's, typed by the contract's `<Prefix>Protocol`.
 */
import type { Project } from 'ts-morph';
import { printFacade } from '../facade.js';
import type { GeneratedFile } from '../files.js';
import type { ContractModel } from '../model.js';
import { createTsFile } from '../printer.js';

export function emitClient(model: ContractModel, project: Project): GeneratedFile[] {
  const file = createTsFile(project, model, 'client.ts', 'The typed client: on.<message>, send.<message>, history views, reconnect and resume.');
  const n = model.api;
  printFacade(file, model, {
    runtime: './runtime/client/contract-client.js',
    aliases: [
      [n.clientOptions, 'ContractClientOptions'],
      [n.listeners, 'Listeners', 'Q4: `on.<message>(handler)` per server-to-client message; data handlers run once per message, in seq order.'],
      [n.senders, 'Senders', 'S5: `send.<message>(payload)` per client-to-server application message, validated before it leaves.'],
      ...(model.history.length > 0 ? [[n.history, 'HistoryViews', 'W3–W5: a history view per endpoint.'] as const] : []),
      [n.client, 'ContractClient'],
    ],
    factory: {
      name: n.clientFactory,
      docs: `Creates a client of the ${model.name} contract. In Node 20 pass \`WebSocket\` from the \`ws\` package; in browsers the globals are used.`,
      options: n.clientOptions,
      returns: n.client,
      runtimeFactory: 'createContractClient',
    },
  });
  return [file.done()];
}
