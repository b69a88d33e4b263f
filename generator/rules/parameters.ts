/**
 * Rules about the numbers and names of x-contract: seq origin (Q2), entropy (S1), TTL and
 * heartbeat (S4), the replay window (R3), transports (S5) and versions (H2).
 */
import { compareVersions } from '../model/contract-block.js';
import type { LintRule, RuleHit } from './rule.js';

export const parameterRules: LintRule[] = [
  {
    id: 'seq-origin',
    rule: 'Q2',
    sentence: 'Sequencing starts at 1.',
    check: (ctx) =>
      ctx.contract.sequencing.origin === 1
        ? []
        : [{ pointer: '/x-contract/sequencing/origin', message: `seq origin is ${ctx.contract.sequencing.origin}; the first data message of a session is seq 1 (Q2) and the cursor maps as seq = index + 1 (R4)`, hint: 'set "origin": 1' }],
  },
  {
    id: 'session-entropy',
    rule: 'S1',
    sentence: 'Session ids carry at least 128 random bits and resume tokens at least 256.',
    check(ctx) {
      const hits: RuleHit[] = [];
      const { idBits = 128, tokenBits = 256 } = ctx.contract.session;
      if (idBits < 128) hits.push({ pointer: '/x-contract/session/idBits', message: `session ids would carry ${idBits} random bits; S1 needs at least 128`, hint: 'set "idBits": 128 or more' });
      if (tokenBits < 256) hits.push({ pointer: '/x-contract/session/tokenBits', message: `resume tokens would carry ${tokenBits} random bits; S1 needs at least 256`, hint: 'set "tokenBits": 256 or more' });
      return hits;
    },
  },
  {
    id: 'ttl-outlives-heartbeat',
    rule: 'S4',
    sentence: 'A session outlives at least two heartbeat intervals.',
    check: (ctx) =>
      ctx.contract.session.ttlMs >= 2 * ctx.contract.heartbeatMs
        ? []
        : [{ pointer: '/x-contract/session/ttlMs', message: `ttlMs (${ctx.contract.session.ttlMs}) is shorter than two heartbeats (${2 * ctx.contract.heartbeatMs} ms): a session would expire during an ordinary reconnect`, hint: 'raise ttlMs or lower heartbeatMs' }],
  },
  {
    id: 'replay-window-holds-a-frame',
    rule: 'R3',
    sentence: 'The replay window can hold at least one frame of the largest size.',
    check: (ctx) =>
      ctx.contract.replayWindow.maxBytes >= ctx.contract.maxFrameBytes
        ? []
        : [{ pointer: '/x-contract/replayWindow/maxBytes', message: `replayWindow.maxBytes (${ctx.contract.replayWindow.maxBytes}) is smaller than maxFrameBytes (${ctx.contract.maxFrameBytes}); a large message could never be replayed`, hint: 'raise maxBytes to at least maxFrameBytes' }],
  },
  {
    id: 'transport-paths',
    rule: 'S5',
    sentence: 'Transport and history paths are distinct, and SSE and poll share one messages path when both exist.',
    check(ctx) {
      const hits: RuleHit[] = [];
      const t = ctx.contract.transports;
      const seen = new Map<string, string>();
      const claim = (path: string, pointer: string): void => {
        const other = seen.get(path);
        if (other) hits.push({ pointer, message: `path ${path} is also used at ${other}`, hint: 'give each endpoint its own path' });
        else seen.set(path, pointer);
      };
      for (const [kind, cfg] of Object.entries(t)) claim(cfg.path, `/x-contract/transports/${kind}/path`);
      (ctx.contract.history ?? []).forEach((h, i) => claim(h.path.replace(/\{[^}]+\}.*$/, ''), `/x-contract/history/${i}/path`));
      const sse = t.sse?.messagesPath;
      const poll = t.poll?.messagesPath;
      if (sse && poll && sse !== poll) hits.push({ pointer: '/x-contract/transports/poll/messagesPath', message: `SSE posts client messages to ${sse} but poll to ${poll}; a session that moves between them would change endpoints`, hint: 'use one messagesPath for both' });
      for (const mp of new Set([sse, poll].filter((x): x is string => !!x))) {
        if ([...seen.keys()].includes(mp)) hits.push({ pointer: '/x-contract/transports', message: `messages path ${mp} collides with a stream path`, hint: 'use a separate path for client messages' });
      }
      return hits;
    },
  },
  {
    id: 'protocol-versions-order',
    rule: 'H2',
    sentence: 'protocolVersions are listed in ascending order.',
    check(ctx) {
      const v = ctx.contract.protocolVersions;
      const sorted = [...v].sort(compareVersions);
      return v.join() === sorted.join()
        ? []
        : [{ severity: 'warning', pointer: '/x-contract/protocolVersions', message: `protocolVersions are not in ascending order (${v.join(', ')})`, hint: `write them as ${sorted.join(', ')}; negotiation picks the highest common one either way` }];
    },
  },
];
