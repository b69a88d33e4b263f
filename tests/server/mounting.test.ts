/**
 * The generated server (generated/server.ts) mounted three ways — Express 5, Fastify 5 and a bare
 * node:http server — answering a hello, a data message and a history read on every transport,
 * while the host framework keeps serving its own routes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { contract } from '../../generated/contract.js';
import { createAgentUiServer, type AgentUiServer } from '../../generated/server.js';
import type { HistoryChunk } from '../../generated/types.js';
import { validateConversationHistoryResponse, validateProtocolHello } from '../../generated/validators.js';
import { createMemoryHistoryStore } from '../../runtime/server/history.js';
import { chatSend, cleanup, KINDS, onCleanup, openSession, seqsOf, target, type Kind, type Target } from './helpers.js';
import { httpGet, rawRequest, UPGRADE_HEADERS } from './hostile/harness.js';
import { HOSTS, mountIn, type Host } from './hosts.js';
import { accepted } from '../support/accepted.js';

afterEach(cleanup);

function contractServer(basePath?: string): AgentUiServer {
  const store = createMemoryHistoryStore<HistoryChunk>();
  store.append('c-1', { role: 'user', turn_id: 't-1', chunk: { kind: 'text', text: 'Did the deploy checks pass?' } });
  store.append('c-1', { role: 'assistant', turn_id: 't-1', chunk: { kind: 'text', text: 'All three checks passed.' } });
  store.append('c-1', { role: 'user', turn_id: 't-2', chunk: { kind: 'text', text: 'Ship it.' } });
  const server = createAgentUiServer({
    handlers: {
      chatSend(message, ctx) {
        ctx.emit.agentEvent({ conversation_id: message.payload.conversation_id, turn_id: 't-9', kind: 'text', text: `echo: ${message.payload.text}` });
        return accepted(message);
      },
      uiAction() {},
    },
    history: { conversationHistory: store },
    basePath,
  });
  onCleanup(() => server.close());
  return server;
}

/** Each host: mounts a fresh generated server and returns where it listens. */
const hosts = Object.fromEntries(
  HOSTS.map((host) => [host, async (basePath?: string) => ({ target: target(await mountIn[host](contractServer(basePath)), contract), base: basePath ?? '' })]),
) as Record<Host, (basePath?: string) => Promise<{ target: Target; base: string }>>;

/** The contract with every path under `base`, so the test clients find the mounted paths. */
function under(t: Target, base: string): Target {
  if (!base) return t;
  const tr = t.contract.transports;
  return {
    ...t,
    contract: {
      ...t.contract,
      transports: {
        websocket: { path: base + tr.websocket!.path },
        sse: { path: base + tr.sse!.path, messagesPath: base + tr.sse!.messagesPath },
        poll: { ...tr.poll!, path: base + tr.poll!.path, messagesPath: base + tr.poll!.messagesPath },
      },
    },
  };
}

async function hostSmoke(host: Host, basePath?: string): Promise<void> {
  const { target: t0, base } = await hosts[host](basePath);
  const t = under(t0, base);
  for (const kind of KINDS as Kind[]) {
    const s = await openSession(t, kind);
    expect(validateProtocolHello(s.hello).ok, kind).toBe(true);
    await s.ch.send(chatSend(s.sessionId, 'hi'), s.token);
    const [data] = await s.ch.data(1);
    expect(seqsOf([data!])).toEqual([1]);
    expect(data!.payload.text).toBe('echo: hi');
  }
  const history = await fetch(`${t.origin}${base}/conversations/c-1?sinceSeq=0&limit=2`);
  expect(history.status).toBe(200);
  const body = await history.json();
  expect(validateConversationHistoryResponse(body).ok).toBe(true);
  expect(body).toMatchObject({ latestSeq: 3, chunks: [{ seq: 2 }, { seq: 3 }] });
  // The host's own routes still answer; unknown paths are the host's 404.
  expect(await (await fetch(`${t.origin}/health`)).json()).toEqual({ host });
  expect((await fetch(`${t.origin}/not-a-route`)).status).toBe(404);
}

describe.each(HOSTS)('the generated server mounted in %s', (host) => {
  it('serves hello, a data message on each transport, and a history read', async () => {
    await hostSmoke(host);
  });
});

describe.each(HOSTS)('request targets that are not URLs, in %s (L1)', (host) => {
  it.each([
    ['GET //[', httpGet('//[')],
    ['GET //[ as an upgrade', httpGet('//[', UPGRADE_HEADERS)],
    ['an absolute-form target with a broken host', httpGet('http://[/poll')],
    ['the same as an upgrade', httpGet('http://[/ws', UPGRADE_HEADERS)],
  ])('%s is answered, and the host and the contract keep serving', async (_name, request) => {
    const { target: t } = await hosts[host]();
    const port = Number(new URL(t.origin).port);
    const answer = await rawRequest(port, request);
    expect(answer.status === undefined ? answer.closed : answer.status >= 400 && answer.status < 500).toBe(true);
    expect(await (await fetch(`${t.origin}/health`)).json()).toEqual({ host });
    const s = await openSession(t, 'websocket');
    expect(s.hello.type).toBe('protocol.hello');
  });
});

describe('basePath', () => {
  it('puts every contract path under the prefix (Express)', async () => {
    await hostSmoke('express', '/api');
    const { target: t } = await hosts.express('/api');
    expect((await fetch(`${t.origin}/events`)).status).toBe(404); // the unprefixed path is not the contract's
  });
});
