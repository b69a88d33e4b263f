/**
 * A1/A3 from the client's side, the generated client against the generated server over real
 * sockets: the `auth` option is called before every connection attempt (a refreshed token is
 * used); a refusal reaches the application as a typed `unauthorized` / `forbidden` event and
 * stops the reconnect loop until `connect()` is called again; the resumed session is the one the
 * client had, on every transport.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createContractServer } from '../../runtime/server/contract-server.js';
import type { AgentUiProtocol } from '../../generated/contract.js';
import { protocolWith } from '../support/contract.js';
import { cleanup, listen, nextEvent, onCleanup, record, sleep, startClient, TRANSPORTS, waitFor } from './helpers.js';
import { accepted } from '../support/accepted.js';

afterEach(cleanup);

/** A server that lets in `Bearer <user>` for the users in `valid`; `Bearer banned` is forbidden. */
async function start(valid: Set<string>) {
  const app = createContractServer<AgentUiProtocol, string>(protocolWith(), {
    authenticate(request) {
      const user = /^Bearer (\w+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (user === 'banned') return { refuse: 'forbidden' };
      return user !== undefined && valid.has(user) ? { principal: user } : { refuse: 'unauthorized', message: 'sign in first' };
    },
    handlers: {
      async chatSend(message, ctx) {
        await ctx.emit.agentEvent({ conversation_id: 'c', turn_id: 't', kind: 'text', text: `${ctx.principal}: ${message.payload.text}` });
        return accepted(message);
      },
      uiAction() {},
    },
  });
  const server = http.createServer();
  app.attach(server);
  onCleanup(() => app.close());
  return { app, ...(await listen(server)) };
}

describe.each(TRANSPORTS)('auth over %s', (transport) => {
  it('the auth function is asked before every attempt; a refusal is a typed event that stops reconnecting until connect()', async () => {
    const valid = new Set<string>();
    const { url } = await start(valid);
    let token = 'alice';
    let asked = 0;
    const client = startClient(url, {
      transport,
      autoConnect: false,
      auth: async () => {
        asked++;
        return { authorization: `Bearer ${token}` };
      },
    });
    const rec = record(client);
    const refused = nextEvent(client, 'unauthorized');
    client.connect();
    expect(await refused).toMatchObject({ kind: 'unauthorized', message: 'sign in first', transport });
    expect(client.state).toBe('closed');
    const attempts = asked;
    await sleep(150); // many backoff periods (5–50 ms): no attempt is made on its own
    expect(asked).toBe(attempts);
    expect(rec.ofKind('session')).toEqual([]);

    // New credentials, then connect(): the function is asked again and the session opens.
    valid.add('alice');
    token = 'alice';
    const session = nextEvent(client, 'session');
    client.connect();
    const opened = await session;
    expect(asked).toBe(attempts + 1);
    void client.send.chatSend({ conversation_id: 'c', text: 'hi' });
    await waitFor(() => rec.texts.length === 1, 'the echo');
    expect(rec.texts).toEqual(['alice: hi']);

    // A dropped connection resumes the same session; the function is asked for that attempt too.
    const resumed = nextEvent(client, 'session', (e) => e.resumed);
    client.reconnect();
    expect((await resumed).sessionId).toBe(opened.sessionId);
    expect(asked).toBeGreaterThanOrEqual(attempts + 2);
  });

  it('forbidden is its own event', async () => {
    const { url } = await start(new Set());
    const client = startClient(url, { transport, auth: { authorization: 'Bearer banned' } });
    expect(await nextEvent(client, 'forbidden')).toMatchObject({ kind: 'forbidden', transport });
    expect(client.state).toBe('closed');
  });
});
