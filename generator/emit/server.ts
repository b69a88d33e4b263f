/**
 * Emitter — `server.ts`: the typed server of the contract, a facade over the runtime's generic
 * server (runtime/server/contract-server.ts): its types named for the contract, and one factory
 * that hands the runtime the contract's descriptor. Handlers per client message,
 * `ctx.emit.<message>` per data message (Q3: the only way to send data) and the options are the
 * runtime's, typed by the contract's `<Prefix>Protocol`.
 */
import type { Project } from 'ts-morph';
import { ts } from '../escape.js';
import { printFacade } from '../facade.js';
import type { GeneratedFile } from '../files.js';
import type { ContractModel } from '../model.js';
import { createTsFile } from '../printer.js';

export function emitServer(model: ContractModel, project: Project): GeneratedFile[] {
  const file = createTsFile(project, model, 'server.ts', 'The typed server: handlers per client message, ctx.emit per data message, transports and history wired.');
  const n = model.api;
  printFacade(file, model, {
    runtime: './runtime/server/contract-server.js',
    aliases: [
      [n.emitter, 'Emitter', 'Q3: one method per server-to-client data message: validates the payload, stamps header.seq, keeps the frame for resume, resolves to the seq.'],
      [n.context, 'HandlerContext', 'What a handler gets: the session, its typed emitter, its principal (A2), and the request_id of the frame.', true],
      [n.handlers, 'Handlers', `One method per client-to-server application message of ${model.name}, and the session hooks.`, true],
      [n.serverOptions, 'ContractServerOptions', 'A1: `Principal` is what your `authenticate` returns (undefined without one).', true],
      [n.server, 'ContractServer', undefined, true],
    ],
    // A1: the application's principal type, inferred from `authenticate`.
    typeParameter: { name: ts`Principal`, default: ts`undefined` },
    factory: {
      name: n.serverFactory,
      docs: `Creates the ${model.name} server. Mount it with \`server.attach(httpServer)\`, or use \`handleRequest\` and \`handleUpgrade\` in an existing Express, Fastify or node:http server.`,
      options: n.serverOptions,
      returns: n.server,
      runtimeFactory: 'createContractServer',
    },
  });
  return [file.done()];
}
