/**
 * The server's clock (Q4, S4, L2): every tick, a heartbeat on every attachment this process
 * holds, the store's TTL sweep (each expired session is let go of and reported once), and
 * sessions that have been idle here for two TTLs without the store reporting them — they live on
 * in another process of a shared store — stop counting against the limits here.
 */
import type { ContractDescriptor } from '../contract.js';
import type { LocalSession, ReportError } from './session-binding.js';
import type { SessionStore } from './store.js';

export interface SweeperOptions {
  readonly contract: ContractDescriptor;
  readonly store: SessionStore;
  readonly locals: ReadonlyMap<string, LocalSession>;
  readonly now: () => number;
  /** The process lets go of a session. */
  forget(local: LocalSession): void;
  /** A session expired (S4); `local` when this process held it. */
  expired(id: string, local: LocalSession | undefined): void;
  readonly reportError: ReportError;
}

/** Starts the tick; returns what stops it. */
export function startSweeper(options: SweeperOptions): () => void {
  const { contract, store, locals, now, reportError } = options;
  const tick = Math.min(contract.heartbeatMs, Math.max(1000, Math.floor(contract.session.ttlMs / 4)));
  const timer = setInterval(() => {
    const at = now();
    for (const s of [...locals.values()]) {
      if (s.attachment) {
        try {
          s.attachment.heartbeat(s.latestSeq, s.acked);
        } catch (error) {
          reportError(error, { sessionId: s.id, type: 'heartbeat' }); // one broken connection never stops the others' heartbeats
        }
      } else if (s.idleSince !== undefined && at - s.idleSince > 2 * contract.session.ttlMs) {
        // The store never reported it: it lives on in another process (a shared store). It
        // is not ours to end, only to stop counting (L2).
        options.forget(s);
      }
    }
    store.sweep(at).then(
      (expired) => {
        for (const id of expired) {
          const local = locals.get(id);
          if (local) options.forget(local);
          options.expired(id, local);
        }
      },
      (error: unknown) => reportError(error, { type: 'sweep' }),
    );
  }, tick);
  timer.unref?.();
  return () => clearInterval(timer);
}
