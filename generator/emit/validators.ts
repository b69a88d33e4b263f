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
import { payloadValidatorBase, rawValidatorName, validatedDefs, validatorName } from './validators-ajv.js';

export function emitValidators(model: ContractModel, project: Project): GeneratedFile[] {
  const file = createTsFile(project, model, 'validators.ts', 'Typed validators for every message and history schema, and a dispatcher per direction.');
  const createValidator = file.use('createValidator', './runtime/validation.js');
  const createDispatcher = file.use('createDispatcher', './runtime/validation.js');
  const Validator = file.use('Validator', './runtime/validation.js', { type: true });
  const RawValidator = file.use('RawValidator', './runtime/validation.js', { type: true });

  const memberOf = new Map(model.messages.map((m) => [m.typeName, m]));
  // Added in one call: ts-morph re-parses the file on every insertion (quadratic in messages).
  file.source.addVariableStatements(
    validatedDefs(model).map((name) => {
      const typeName = file.use(name, './types.js', { type: true });
      const raw = file.use(rawValidatorName(name), './validators.ajv.js');
      const m = memberOf.get(name);
      return {
        isExported: true,
        declarationKind: VariableDeclarationKind.Const,
        docs: [m ? `Validates one \`${m.type}\` frame (${m.direction}, ${m.role}).` : `Validates one ${name}.`],
        declarations: [{ name: validatorName(name), type: ts`${Validator}<${typeName}>`, initializer: ts`${createValidator}<${typeName}>(${tsLiteral(m ? m.type : name)}, ${raw} as ${RawValidator})` }],
      };
    }),
  );

  file.source.addVariableStatements(
    model.messages
      .filter((m) => m.sequenced)
      .map((m) => {
        const typeName = file.use(m.typeName, './types.js', { type: true });
        const base = payloadValidatorBase(m.typeName);
        const raw = file.use(rawValidatorName(base), './validators.ajv.js');
        const type = ts`${typeName}[${tsLiteral('payload')}]`;
        return {
          isExported: true,
          declarationKind: VariableDeclarationKind.Const,
          docs: [`Validates the payload of a \`${m.type}\` data message (the server runtime builds its envelope: Q3).`],
          declarations: [{ name: validatorName(base), type: ts`${Validator}<${type}>`, initializer: ts`${createValidator}<${type}>(${tsLiteral(m.type)}, ${raw} as ${RawValidator})` }],
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
            Writers.object(Object.fromEntries(members.map((m) => [tsLiteral(m.type), validatorName(m.typeName)])))(w);
            w.write(')');
          },
        },
      ],
    });
  }
  return [file.done()];
}

