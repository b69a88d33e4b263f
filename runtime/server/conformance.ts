/**
 * Conformance mode, for `contractgen probe`: a server created with `conformance: true` answers
 * the spec's conformance trigger (x-contract.conformance) by emitting `produces` data messages on
 * the triggering session, so that a probe can check sequencing, resume and the replay window
 * against it without knowing the application. When the trigger declares a reply (C4), the last of
 * them is that reply, naming the trigger's cseq, as a handler's returned reply would be. The payloads are the spec's own data-message
 * examples, taken in turn; they go through the one send path (Q3), which stamps seq and
 * session_id. Off by default; a frame of the trigger's type with any other payload still goes to
 * the application's handler.
 */
import type { ConformanceDescriptor } from '../contract.js';
import { jsonEqual } from '../json-equal.js';

export interface ConformanceResponder {
  /** Whether `frame` is the trigger: its type, and a payload equal to the spec's. */
  matches(frame: { readonly type: string; readonly payload: unknown }): boolean;
  /** Emits `produces` data messages through `send` (the session's send path), in order; the reply, when declared, names `cseq`. */
  answer(send: (type: string, payload: unknown, cseq?: number) => Promise<number>, cseq: number | undefined): Promise<void>;
}

export function createConformanceResponder(descriptor: ConformanceDescriptor): ConformanceResponder {
  const { trigger, produces, samples, reply } = descriptor;
  if (samples.length === 0) throw new Error('contractgen runtime: conformance mode needs an example of a server-to-client data message in the spec to emit');
  return {
    matches(frame) {
      return frame.type === trigger.type && jsonEqual(frame.payload, trigger.payload);
    },
    async answer(send, cseq) {
      // Issued in order without waiting: the store assigns seqs in call order, as for any handler.
      const sent: Promise<number>[] = [];
      const emitted = reply ? produces - 1 : produces;
      for (let i = 0; i < emitted; i++) {
        const sample = samples[i % samples.length]!;
        sent.push(send(sample.type, sample.payload));
      }
      // C4: after what the handler emits comes its reply, as createContractServer sends a returned one.
      if (reply) sent.push(send(reply.type, reply.payload, cseq));
      await Promise.all(sent);
    },
  };
}
