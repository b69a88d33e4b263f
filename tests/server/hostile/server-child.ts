/**
 * The server the hostile-client suite attacks, alone in its process so that "the process lives"
 * and "its memory stays bounded" are facts about a process and not about the test runner. It
 * serves the canonical contract (with the limits and parameters `HOSTILE_CONFIG` gives) on
 * 127.0.0.1:0 and answers its parent over IPC:
 *
 * - `stats`    the server's stats() and the process's memory after a full GC;
 * - `release`  lets every `block`ed handler go on;
 * - `handled`  the texts the chat.send handler saw for a session, in order;
 * - `end`      ends every session but the ones named (what one test made goes away before the next).
 *
 * chat.send text: `"<n>"` produces n data messages, n − 1 agent.events and then its reply
 * chat.accepted (C4; every handled chat.send is answered by one); `"emit:<n>:<chars>"` likewise,
 * its events of that size; `"block"` waits for `release`; `"q:…"` is only recorded; `"throw"` throws. Requests count against the `x-client` header
 * when they carry one (so a test can be many clients), else against their address.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentUiHandlers } from '../../../generated/server.js';
import type { ContractLimits } from '../../../runtime/limits.js';
import { createContractServer } from '../../../runtime/server/contract-server.js';
import { addressKey } from '../../../runtime/server/session-limiter.js';
import { contractWith, protocolWith, type AgentUiProtocol, type ContractPatch } from '../../support/contract.js';
import { accepted } from '../../support/accepted.js';

export interface HostileConfig {
  readonly contract?: ContractPatch;
  readonly limits?: Partial<ContractLimits>;
  readonly resumeTimeoutMs?: number;
}

export type Command = { readonly id: number } & ({ readonly cmd: 'stats' } | { readonly cmd: 'release' } | { readonly cmd: 'handled'; readonly sessionId: string } | { readonly cmd: 'end'; readonly keep: readonly string[] });

if (!process.connected) process.exit(0);
process.on('disconnect', () => process.exit(0));

const config = JSON.parse(process.env.HOSTILE_CONFIG ?? '{}') as HostileConfig;
const contract = contractWith(config.contract ?? {});
const handled = new Map<string, string[]>();
const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};
let gate = deferred();

const agentEvent = (text: string) => ({ conversation_id: 'c-1', turn_id: 't-1', kind: 'text' as const, text });
const handlers: AgentUiHandlers = {
  async chatSend(message, ctx) {
    const text = message.payload.text;
    const seen = handled.get(ctx.session.id) ?? [];
    handled.set(ctx.session.id, seen);
    seen.push(text);
    if (text === 'throw') throw new Error('handler exploded on purpose');
    if (text === 'block') await gate.promise;
    else if (text.startsWith('q:')) return accepted(message);
    const big = /^emit:(\d+):(\d+)$/.exec(text);
    if (big) {
      for (let i = 1; i < Number(big[1]); i++) ctx.emit.agentEvent(agentEvent('x'.repeat(Number(big[2])))).catch(() => undefined);
      return accepted(message);
    }
    if (text !== 'block') for (let i = 1; i < (Number(text) || 1); i++) await ctx.emit.agentEvent(agentEvent(`reply ${i}`));
    return accepted(message);
  },
  uiAction() {},
};

const app = createContractServer<AgentUiProtocol>(protocolWith(contract), {
  handlers,
  ...(config.limits ? { limits: config.limits } : {}),
  ...(config.resumeTimeoutMs ? { resumeTimeoutMs: config.resumeTimeoutMs } : {}),
  clientKey: (req) => {
    const key = req.headers['x-client'];
    return typeof key === 'string' ? key : addressKey(req);
  },
});
const server = http.createServer();
app.attach(server);

const gc = (globalThis as { gc?: () => void }).gc;

process.on('message', (raw) => {
  const command = raw as Command;
  const reply = (data: Record<string, unknown>): void => void process.send?.({ id: command.id, ...data });
  switch (command.cmd) {
    case 'stats': {
      gc?.();
      gc?.();
      const m = process.memoryUsage();
      return reply({ stats: app.stats(), memory: { rss: m.rss, heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers, external: m.external } });
    }
    case 'release': {
      const old = gate;
      gate = deferred();
      old.resolve();
      return reply({});
    }
    case 'handled':
      return reply({ texts: handled.get(command.sessionId) ?? [] });
    case 'end': {
      const keep = new Set(command.keep);
      const ids = [...app.core.sessions()].map((s) => s.id).filter((id) => !keep.has(id));
      void Promise.all(ids.map((id) => app.endSession(id))).then(() => reply({ ended: ids.length }));
      return;
    }
  }
});

server.listen(0, '127.0.0.1', () => process.send?.({ id: 0, ready: true, port: (server.address() as AddressInfo).port }));
