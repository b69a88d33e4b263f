/**
 * Emitter — `validators.ts`: the typed surface over validators.ajv.ts: one validator per
 * message and history schema, a dispatcher per direction that tells an unknown type from an
 * invalid frame, and `validators`, what the runtime's generic server and client check with.
 */
import type { Project } from 'ts-morph';
import { ts, tsLiteral, tsObject, type Code } from '../escape.js';
import type { GeneratedFile } from '../files.js';
import type { ContractModel, Direction } from '../model.js';
import { createTsFile, type ConstSpec } from '../printer.js';

const DISPATCHERS: readonly { readonly direction: Direction; readonly union: string; readonly name: Code }[] = [
  { direction: 'server-to-client', union: 'ServerMessage', name: ts`validateServerMessage` },
  { direction: 'client-to-server', union: 'ClientMessage', name: ts`validateClientMessage` },
];

export function emitValidators(model: ContractModel, project: Project): GeneratedFile[] {
  const file = createTsFile(project, model, 'validators.ts', 'Typed validators for every message and history schema, and a dispatcher per direction.');
  const createValidator = file.use('createValidator', './runtime/validation.js');
  const createDispatcher = file.use('createDispatcher', './runtime/validation.js');
  const Validator = file.use('Validator', './runtime/validation.js', { type: true });
  const RawValidator = file.use('RawValidator', './runtime/validation.js', { type: true });
  const validator = (type: Code, subject: string, raw: string): Pick<ConstSpec, 'type' | 'initializer'> => ({
    type: ts`${Validator}<${type}>`,
    initializer: ts`${createValidator}<${type}>(${tsLiteral(subject)}, ${file.use(raw, './validators.ajv.js')} as ${RawValidator})`,
  });

  file.consts(
    model.validated.map((v) => ({
      name: v.name,
      docs: [v.message ? `Validates one \`${v.message.type}\` frame (${v.message.direction}, ${v.message.role}).` : `Validates one ${v.typeName}.`],
      ...validator(file.use(v.typeName, './types.js', { type: true }), v.subject, v.raw),
    })),
  );
  file.consts(
    model.messages.flatMap((m) =>
      m.payloadValidator
        ? [
            {
              name: m.payloadValidator.name,
              docs: [`Validates the payload of a \`${m.type}\` data message (the server runtime builds its envelope: Q3).`],
              ...validator(ts`${file.use(m.typeName, './types.js', { type: true })}[${tsLiteral('payload')}]`, m.type, m.payloadValidator.raw),
            },
          ]
        : [],
    ),
  );
  file.consts(
    DISPATCHERS.map((d) => ({
      name: d.name,
      docs: [`Validates any ${d.direction} frame: finds the message by \`type\`, then checks it. An unknown type fails with keyword \`unknown-type\`.`],
      initializer: ts`${createDispatcher}<${file.use(d.union, './types.js', { type: true })}>(${tsLiteral(d.direction)}, ${tsObject(model.messages.filter((m) => m.direction === d.direction).map((m) => [m.type, m.validator.name]))})`,
    })),
  );
  const responseOf = (typeName: string): Code => model.validated.find((v) => v.typeName === typeName)!.name;
  file.consts([
    {
      name: ts`validators`,
      docs: ['What the runtime validates with: the dispatcher of each direction, the payload of each data message (Q3) and the response of each history endpoint (W3).'],
      initializer: ts`${tsObject([
        ['server', DISPATCHERS[0]!.name],
        ['client', DISPATCHERS[1]!.name],
        ['payloads', tsObject(model.messages.flatMap((m) => (m.payloadValidator ? [[m.type, m.payloadValidator.name] as const] : [])))],
        ['history', tsObject(model.history.map((h) => [h.name, responseOf(h.responseTypeName)] as const))],
      ])} satisfies ${file.use('ContractValidators', './runtime/contract.js', { type: true })}`,
    },
  ]);
  return [file.done()];
}
