/**
 * Diff stage 4, L2 — the bounds of `x-contract.limits`. An undeclared limit is its default (the
 * runtime's resolveLimits), so declaring a limit at its default is no change and removing a
 * declaration changes the bound only if the default differs. A limit neither side declares is
 * left alone: its derived default moves only with another parameter that has its own change.
 */
import { LIMIT_NAMES, resolveLimits, type ContractLimits, type LimitName } from '../../runtime/limits.js';
import { sameJson, type Change, type ChangeKind } from './change.js';
import { numberAt, valueAt, type ContractView } from './contract-view.js';

/** What a peer sees when a bound is lowered; `undefined`: lowering it breaks nobody. */
const LOWERED: Readonly<Record<LimitName, string | undefined>> = {
  maxSessions: 'a deployment that held the old number of sessions now refuses new ones with overloaded (503, WebSocket 1013)',
  maxSessionsPerClient: 'a client (address or principal) that opened up to the old number of sessions now gets overloaded (429, WebSocket 1013)',
  maxSessionsPerSecond: 'a burst of connections the old rate accepted now gets overloaded (429, WebSocket 1013)',
  maxInboundBytes: 'a client that had that many bytes in flight to a busy handler is now slowed (WebSocket) or refused with overloaded (POST 429)',
  maxFramesPerPost: 'clients built against the old contract batch up to the old number of frames per POST and now get 413',
  maxErrorFrames: 'a POST with more refused frames than the new bound stops being handled at the bound (one overloaded frame says so)',
  maxPollBytes: undefined,
  maxPollFrames: undefined,
  maxBufferedBytes: 'a client that fell up to the old number of bytes behind is now dropped as slow_consumer (WebSocket 4005) and has to resume',
};

const isLimit = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
const clip = (text: string | undefined): string => (text === undefined ? 'undefined' : text.length > 40 ? `${text.slice(0, 40)}…` : text);

/** The limits a view resolves to, or undefined when its x-contract cannot be read that far. */
function effective(v: ContractView): ContractLimits | undefined {
  const maxFrameBytes = numberAt(v.contract, 'maxFrameBytes');
  const maxBytes = numberAt(v.contract, 'replayWindow', 'maxBytes');
  if (maxFrameBytes === undefined || maxBytes === undefined) return undefined;
  const declared: Partial<Record<LimitName, number>> = {};
  for (const name of LIMIT_NAMES) {
    const value = valueAt(v.contract, 'limits', name);
    if (isLimit(value)) declared[name] = value;
  }
  return resolveLimits({ maxFrameBytes, replayWindow: { maxBytes } }, declared);
}

/** L2: every declared limit whose effective value changed, classified by what a peer sees. */
export function diffLimits(o: ContractView, n: ContractView): Change[] {
  const a = effective(o);
  const b = effective(n);
  if (!a || !b) return [];
  const out: Change[] = [];
  for (const name of LIMIT_NAMES) {
    const raw = valueAt(n.contract, 'limits', name);
    if (raw !== undefined && !isLimit(raw)) {
      // Lenient as the rest of diff, but never silent: a value lint refuses is no "no change".
      if (!sameJson(raw, valueAt(o.contract, 'limits', name))) {
        out.push({ kind: 'breaking', code: 'limit-invalid', pointer: `/x-contract/limits/${name}`, side: 'new', category: 'semantics', reason: `limits.${name} is ${clip(JSON.stringify(raw))}, not a positive integer: lint refuses the spec and a server given it refuses to start (L2)` });
      }
      continue;
    }
    const before = valueAt(o.contract, 'limits', name);
    if (before !== undefined && !isLimit(before)) {
      const now = raw === undefined ? `${b[name]} (the default)` : String(b[name]);
      out.push({ kind: 'additive', code: 'limit-repaired', pointer: `/x-contract/limits/${name}`, side: raw === undefined ? 'old' : 'new', category: 'semantics', reason: `limits.${name} was ${clip(JSON.stringify(before))}, which no server accepted, and is now ${now} (L2)` });
      continue;
    }
    const declaredOld = before !== undefined;
    const declaredNew = raw !== undefined;
    if ((!declaredOld && !declaredNew) || a[name] === b[name]) continue;
    const lowered = b[name] < a[name];
    const kind: ChangeKind = lowered && LOWERED[name] ? 'breaking' : 'additive';
    const why = lowered ? (LOWERED[name] ?? 'poll answers get smaller and clients simply poll again') : 'everything the old bound accepted is still accepted';
    const from = declaredOld ? String(a[name]) : `${a[name]} (the default)`;
    const to = declaredNew ? String(b[name]) : `${b[name]} (the default)`;
    out.push({
      kind,
      code: `limit-${lowered ? 'lowered' : 'raised'}`,
      pointer: `/x-contract/limits/${name}`,
      side: declaredNew ? 'new' : 'old',
      category: 'semantics',
      reason: `limits.${name} ${lowered ? 'lowered' : 'raised'} from ${from} to ${to}: ${why} (L2)`,
    });
  }
  return out;
}
