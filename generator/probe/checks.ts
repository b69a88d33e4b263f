/**
 * Probe stage 4 — checks: what `contractgen probe` verifies of a live server, one check per
 * statement of generated/docs/wire.md that can be observed from outside (several for some), each
 * keyed by a sentence, its statement and the rule it belongs to. Every number comes from the spec
 * (or from --timers), never from the check. One file per rule group under checks/; transport
 * checks run once per transport, the audits last; history checks once per log of
 * x-contract.conformance.history. `contractgen probe --list` prints this catalogue.
 */
import type { TransportKind } from '../model.js';
import { auditChecks } from './checks/audits.js';
import { deliveryChecks } from './checks/delivery.js';
import type { ProbeCheck, TransportCheck } from './checks/check.js';
import { frameChecks } from './checks/frames.js';
import { helloChecks } from './checks/hello.js';
import { historyChecks } from './checks/history.js';
import { identityChecks } from './checks/identity.js';
import { lifetimeChecks } from './checks/lifetime.js';
import { replayChecks } from './checks/replay.js';
import { replyChecks } from './checks/reply.js';
import { resumeChecks } from './checks/resume.js';
import { sequenceChecks } from './checks/sequence.js';
import { sessionChecks } from './checks/session.js';

export type { HistoryCheck, ProbeCheck, TransportCheck } from './checks/check.js';
export { historyChecks };

/** Transport checks in run order: the audits last, since they read what the others received. */
export const transportChecks: readonly TransportCheck[] = [...helloChecks, ...sessionChecks, ...lifetimeChecks, ...sequenceChecks, ...resumeChecks, ...replayChecks, ...deliveryChecks, ...replyChecks, ...identityChecks, ...frameChecks, ...auditChecks];

export const checks: readonly ProbeCheck[] = [...transportChecks, ...historyChecks];

/** One line of `probe --list`: id, rule, statement and where it runs. */
export interface CatalogueEntry {
  readonly id: string;
  readonly rule: string;
  readonly statement: string;
  /** The transports a transport check runs on, or `history`. */
  readonly where: readonly (TransportKind | 'history')[];
  readonly sentence: string;
}

/** The catalogue for the transports a spec declares. */
export function catalogue(declared: readonly TransportKind[]): CatalogueEntry[] {
  return checks.map((c) => ({
    id: c.id,
    rule: c.rule,
    statement: c.statement,
    where: c.scope === 'history' ? ['history'] : declared.filter((k) => !c.only || c.only.includes(k)),
    sentence: c.sentence,
  }));
}

/** Whether `selector` (an id, a rule such as `R3`, or a statement such as `R3.2`) names check `c`. */
export function selects(selector: string, c: ProbeCheck): boolean {
  return selector === c.id || selector === c.rule || selector === c.statement;
}
