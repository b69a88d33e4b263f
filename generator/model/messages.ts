/**
 * Model stage — messages: one `MessageModel` per `x-message` of the spec, with its header and
 * payload fields, payload branches, examples and every name generated code gives it.
 */
import { tsIdentifier } from '../escape.js';
import type { MessageModel } from '../model.js';
import { propertySchema, type Schema } from '../schema-walk.js';
import type { MessageDecl } from './contract-block.js';
import { fieldsOf, firstSentence, variantsOf } from './fields.js';
import { memberName, payloadValidatorName, pythonMember, pythonValidator, rawPayloadValidatorName, rawValidatorName, validatorName } from './names.js';

export function messageModel(root: Schema, m: MessageDecl): MessageModel {
  const payload = propertySchema(root, m.schema, m.pointer, 'payload');
  const header = propertySchema(root, m.schema, m.pointer, 'header');
  const sequenced = m.direction === 'server-to-client' && m.role === 'data';
  const kernel = m.type.startsWith('protocol.');
  const description = typeof m.schema.description === 'string' ? m.schema.description : '';
  const headerTypeName = header?.pointer.startsWith('/$defs/') && header.pointer.split('/').length === 3 ? header.pointer.split('/')[2]! : undefined;
  return {
    type: m.type,
    typeName: m.defName,
    // G1: checked here, once; the checker's generated-names rule has reported a bad one before.
    memberName: tsIdentifier(memberName(m.type)),
    direction: m.direction,
    role: m.role,
    sequenced,
    kernel,
    application: m.direction === 'client-to-server' && !kernel,
    ...(m.reply !== undefined ? { reply: m.reply } : {}),
    description,
    summary: firstSentence(description),
    pointer: m.pointer,
    ...(headerTypeName ? { headerTypeName } : {}),
    headerFields: header ? fieldsOf(root, header.schema, header.pointer) : [],
    payloadFields: payload ? fieldsOf(root, payload.schema, payload.pointer) : [],
    payloadVariants: payload ? variantsOf(root, payload.schema, payload.pointer) : [],
    examples: Array.isArray(m.schema.examples) ? m.schema.examples : [],
    validator: { name: validatorName(m.defName), raw: rawValidatorName(m.defName), pointer: m.pointer, subject: m.type },
    // Data payloads on their own: the outbox builds the envelope (type, session_id, seq) itself.
    ...(sequenced ? { payloadValidator: { name: payloadValidatorName(m.defName), raw: rawPayloadValidatorName(m.defName), pointer: `${m.pointer}/properties/payload`, subject: m.type } } : {}),
    python: { member: pythonMember(m.type), validator: pythonValidator(m.defName), ...(sequenced ? { payloadValidator: pythonValidator(`${m.defName}Payload`) } : {}) },
  };
}
