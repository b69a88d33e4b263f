/**
 * Emitter — `validators.ts`: the typed surface over validators.ajv.ts: one validator per
 * message and history schema, plus a dispatcher per direction that tells an unknown type from
 * an invalid frame.
 */
import type { Project } from 'ts-morph';
import { VariableDeclarationKind, Writers } from '../ts-morph.js';
import type { ContractModel } from '../model.js';
import { ts, tsLiteral } from '../escape.js';
import type { GeneratedFile } from '../files.js';
import { createTsFile } from '../printer.js';

export function emitValidators(model: ContractModel, project: Project): GeneratedFile[] {
  const file = createTsFile(project, model, 'validators.ts', 'Typed validators for every message and history schema, and a dispatcher per direction.');
  const createValidator = file.use('createValidator', './runtime/validation.js');
  const createDispatcher = file.use('createDispatcher', './runtime/validation.js');
  const Validator = file.use('Validator', './runtime/validation.js', { type: true });
  const RawValidator = file.use('RawValidator', './runtime/validation.js', { type: true });

  // Added in one call: ts-morph re-parses the file on every insertion (quadratic in messages).
  file.source.addVariableStatements(
    model.validated.map((v) => {
      const typeName = file.use(v.typeName, './types.js', { type: true });
      const raw = file.use(v.raw, './validators.ajv.js');
      const m = v.message;
      return {
        isExported: true,
        declarationKind: VariableDeclarationKind.Const,
        docs: [m ? `Validates one \`${m.type}\` frame (${m.direction}, ${m.role}).` : `Validates one ${v.typeName}.`],
        declarations: [{ name: v.name, type: ts`${Validator}<${typeName}>`, initializer: ts`${createValidator}<${typeName}>(${tsLiteral(v.subject)}, ${raw} as ${RawValidator})` }],
      };
    }),
  );

  file.source.addVariableStatements(
    model.messages.flatMap((m) => {
      if (!m.payloadValidator) return [];
      const typeName = file.use(m.typeName, './types.js', { type: true });
      const raw = file.use(m.payloadValidator.raw, './validators.ajv.js');
      const type = ts`${typeName}[${tsLiteral('payload')}]`;
      return {
        isExported: true,
        declarationKind: VariableDeclarationKind.Const,
        docs: [`Validates the payload of a \`${m.type}\` data message (the server runtime builds its envelope: Q3).`],
        declarations: [{ name: m.payloadValidator.name, type: ts`${Validator}<${type}>`, initializer: ts`${createValidator}<${type}>(${tsLiteral(m.type)}, ${raw} as ${RawValidator})` }],
      };
    }),
  );

  for (const [direction, unionName, constName] of [
    ['server-to-client', 'ServerMessage', 'validateServerMessage'],
    ['client-to-server', 'ClientMessage', 'validateClientMessage'],
  ] as const) {
    const members = model.messages.filter((m) => m.direction === direction);
    const union = file.use(unionName, './types.js', { type: true });
    file.source.addVariableStatement({
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      docs: [`Validates any ${direction} frame: finds the message by \`type\`, then checks it. An unknown type fails with keyword \`unknown-type\`.`],
      declarations: [
        {
          name: constName,
          initializer: (w) => {
            w.write(ts`${createDispatcher}<${union}>(${tsLiteral(direction)}, `);
            Writers.object(Object.fromEntries(members.map((m) => [tsLiteral(m.type), m.validator.name])))(w);
            w.write(')');
          },
        },
      ],
    });
  }
  return [file.done()];
}

