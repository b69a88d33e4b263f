/**
 * Emitter — `server.ts`: the typed server of the contract, a facade over the runtime's generic
 * server (runtime/server/contract-server.ts): its types named for the contract, and one factory
 * that hands the runtime the contract's descriptor (contract.ts, validators.ts). Handlers per
 * client message, `ctx.emit.<message>` per data message (Q3: the only way to send data) and the
 * options are the runtime's, typed by the contract's `<Prefix>Protocol`.
 */
import type { Project } from 'ts-morph';
import { ts, tsObjectInline } from '../escape.js';
import type { GeneratedFile } from '../files.js';
import type { ContractModel } from '../model.js';
import { createTsFile } from '../printer.js';

const RUNTIME = './runtime/server/contract-server.js';

export function emitServer(model: ContractModel, project: Project): GeneratedFile[] {
  const file = createTsFile(project, model, 'server.ts', 'The typed server: handlers per client message, ctx.emit per data message, transports and history wired.');
  const n = model.api;
  const Protocol = file.use(n.protocol, './contract.js', { type: true });
  const runtimeType = (name: string) => ts`${file.use(name, RUNTIME, { type: true })}<${Protocol}>`;

  file.typeAlias({ name: n.emitter, type: runtimeType('Emitter'), docs: ['Q3: one method per server-to-client data message: validates the payload, stamps header.seq, keeps the frame for resume, resolves to the seq.'] });
  file.typeAlias({ name: n.context, type: runtimeType('HandlerContext'), docs: ['What a handler gets: the session, its typed emitter, and the request_id of the frame.'] });
  file.typeAlias({ name: n.handlers, type: runtimeType('Handlers'), docs: [`One method per client-to-server application message of ${model.name}, and the session hooks.`] });
  file.typeAlias({ name: n.serverOptions, type: runtimeType('ContractServerOptions') });
  file.typeAlias({ name: n.server, type: runtimeType('ContractServer') });
  file.function({
    name: n.serverFactory,
    docs: [`Creates the ${model.name} server. Mount it with \`server.attach(httpServer)\`, or use \`handleRequest\` and \`handleUpgrade\` in an existing Express, Fastify or node:http server.`],
    parameters: [{ name: ts`options`, type: n.serverOptions }],
    returnType: n.server,
    body: ts`return ${file.use('createContractServer', RUNTIME)}<${Protocol}>(${tsObjectInline([['contract', file.use('contract', './contract.js')], ['validators', file.use('validators', './validators.js')]])}, options);`,
  });
  return [file.done()];
}
