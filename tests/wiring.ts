/**
 * What generated/server.ts passes to createContractServer, over any copy of the contract. Suites
 * that need another TTL, window or transport set than the canonical spec's wire the generated
 * validators, emitter and handlers this one way, with their own createContractServer (the server
 * suites use runtime/, the client suite the copy in generated/runtime/).
 */
import type { AgentUiEmitter, AgentUiHandlers } from '../generated/server.js';
import {
  validateAgentEvent,
  validateAgentEventPayload,
  validateClientMessage,
  validateProtocolError,
  validateProtocolHeartbeat,
  validateProtocolHello,
  validateProtocolResumed,
  validateProtocolResumeFailed,
  validateUiPatch,
  validateUiPatchPayload,
  validateUiRender,
  validateUiRenderPayload,
} from '../generated/validators.js';
import type { ContractDescriptor } from '../runtime/contract.js';
import type { ContractServerOptions } from '../runtime/server/contract-server.js';

type Options = ContractServerOptions<AgentUiEmitter>;

/** The contract, the validators and the typed emitter. */
export function generatedWiring(contract: ContractDescriptor): Pick<Options, 'contract' | 'validateClient' | 'serverValidators' | 'payloadValidators' | 'emitter'> {
  return {
    contract,
    validateClient: validateClientMessage as unknown as Options['validateClient'],
    serverValidators: {
      'agent.event': validateAgentEvent,
      'protocol.error': validateProtocolError,
      'protocol.heartbeat': validateProtocolHeartbeat,
      'protocol.hello': validateProtocolHello,
      'protocol.resume_failed': validateProtocolResumeFailed,
      'protocol.resumed': validateProtocolResumed,
      'ui.patch': validateUiPatch,
      'ui.render': validateUiRender,
    },
    payloadValidators: { 'agent.event': validateAgentEventPayload, 'ui.patch': validateUiPatchPayload, 'ui.render': validateUiRenderPayload },
    emitter: (send) => ({
      agentEvent: (payload) => send('agent.event', payload),
      uiPatch: (payload) => send('ui.patch', payload),
      uiRender: (payload) => send('ui.render', payload),
    }),
  };
}

/** The typed handlers: one per client message, and the lifecycle hooks. */
export function handlerWiring(handlers: AgentUiHandlers): Pick<Options, 'dispatch' | 'onSessionStart' | 'onSessionResume' | 'onSessionEnd' | 'onError'> {
  return {
    dispatch: {
      'chat.send': (frame, ctx) => handlers.chatSend(frame as never, ctx),
      'ui.action': (frame, ctx) => handlers.uiAction(frame as never, ctx),
    },
    onSessionStart: handlers.onSessionStart?.bind(handlers),
    onSessionResume: handlers.onSessionResume?.bind(handlers),
    onSessionEnd: handlers.onSessionEnd?.bind(handlers),
    onError: handlers.onError?.bind(handlers),
  };
}
