/**
 * Model stage — names (generator/model/names.ts): every name generated code gives a contract's
 * things, computed in one place.
 */
import { describe, expect, it } from 'vitest';
import { apiNames, apiPrefix, memberName, payloadValidatorName, pythonMember, pythonNames, pythonValidator, rawValidatorName, validatorName } from '../../generator/model/names.js';

describe('message and validator names', () => {
  it.each([
    { name: 'a kernel frame', given: { type: 'protocol.resume_failed', typeName: 'ProtocolResumeFailed' }, want: { member: 'protocolResumeFailed', validator: 'validateProtocolResumeFailed', payload: 'validateProtocolResumeFailedPayload', raw: 'rawProtocolResumeFailed', python: 'protocol_resume_failed', pyValidator: 'validate_protocol_resume_failed' } },
    { name: 'an application message', given: { type: 'ui.render', typeName: 'UiRender' }, want: { member: 'uiRender', validator: 'validateUiRender', payload: 'validateUiRenderPayload', raw: 'rawUiRender', python: 'ui_render', pyValidator: 'validate_ui_render' } },
    { name: 'digits and underscores', given: { type: 'a.b2_c', typeName: 'AB2C' }, want: { member: 'aB2C', validator: 'validateAB2C', payload: 'validateAB2CPayload', raw: 'rawAB2C', python: 'a_b2_c', pyValidator: 'validate_ab2_c' } },
  ])('$name: $given.type', ({ given, want }) => {
    expect(memberName(given.type)).toBe(want.member);
    expect(validatorName(given.typeName)).toBe(want.validator);
    expect(payloadValidatorName(given.typeName)).toBe(want.payload);
    expect(rawValidatorName(given.typeName)).toBe(want.raw);
    expect(pythonMember(given.type)).toBe(want.python);
    expect(pythonValidator(given.typeName)).toBe(want.pyValidator);
  });

  it('refuses a name that is not an identifier (G1: checked, never escaped into validity)', () => {
    expect(() => validatorName('Ui-Render')).toThrow(/cannot be used as an identifier/);
  });
});

describe('API names', () => {
  it.each([
    { name: 'a dashed contract name', given: 'agent-ui', want: { prefix: 'AgentUi', handlers: 'AgentUiHandlers', serverFactory: 'createAgentUiServer', clientFactory: 'createAgentUiClient', protocol: 'AgentUiProtocol', package: 'agent_ui', pyFactory: 'create_agent_ui_server' } },
    { name: 'one word', given: 'chat', want: { prefix: 'Chat', handlers: 'ChatHandlers', serverFactory: 'createChatServer', clientFactory: 'createChatClient', protocol: 'ChatProtocol', package: 'chat', pyFactory: 'create_chat_server' } },
  ])('$name: $given', ({ given, want }) => {
    const api = apiNames(apiPrefix(given));
    expect({ prefix: api.prefix, handlers: api.handlers, serverFactory: api.serverFactory, clientFactory: api.clientFactory, protocol: api.protocol }).toEqual({
      prefix: want.prefix,
      handlers: want.handlers,
      serverFactory: want.serverFactory,
      clientFactory: want.clientFactory,
      protocol: want.protocol,
    });
    const py = pythonNames(given);
    expect({ package: py.package, factory: py.factory }).toEqual({ package: want.package, factory: want.pyFactory });
  });

  it('names every type of the facades after the prefix', () => {
    expect(Object.values(apiNames('X')).sort()).toEqual(
      ['X', 'XClient', 'XClientOptions', 'XContext', 'XEmitter', 'XHandlers', 'XHistory', 'XListeners', 'XProtocol', 'XSenders', 'XServer', 'XServerOptions', 'createXClient', 'createXServer'].sort(),
    );
  });
});
