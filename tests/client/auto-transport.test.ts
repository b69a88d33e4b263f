/**
 * transport: 'auto' — WebSocket first, then SSE, then poll, moving on only from a transport that
 * never connected; once one has worked, a later outage is ridden out on the same transport.
 */
import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { contract } from '../../generated/contract.js';
import { agentEvent, cleanup, contractWith, createServerFor, listen, nextEvent, record, sleep, startChaosProxy, startClient, startServer, waitFor, connectedClient } from './helpers.js';
import { accepted } from '../support/accepted.js';

afterEach(cleanup);

const withoutWebSocket = contractWith((c) => {
  c.transports = { sse: contract.transports.sse, poll: contract.transports.poll };
});
const pollOnly = contractWith((c) => {
  c.transports = { poll: contract.transports.poll };
});

/** Transports the client's state events named, deduplicated in order. */
const transportsSeen = (rec: ReturnType<typeof record>): string[] => [...new Set(rec.ofKind('state').map((e) => e.transport).filter((t): t is NonNullable<typeof t> => t !== undefined))];

/** Emits one message to the client's session and waits until the application has it. */
async function roundTrip(server: Awaited<ReturnType<typeof startServer>>['server'], client: ReturnType<typeof startClient>, rec: ReturnType<typeof record>, i: number): Promise<void> {
  server.session(client.sessionId!)!.emit.agentEvent(agentEvent(i));
  await waitFor(() => rec.seqs.includes(i), `seq ${i} over ${client.transport}`, 5000, rec.summary);
}

describe("transport: 'auto'", () => {
  it('uses WebSocket when the server has it', async () => {
    const { server, url } = await startServer();
    const { client, rec } = await connectedClient(url);
    expect(client.transport).toBe('websocket');
    await roundTrip(server, client, rec, 1);
    expect(transportsSeen(rec)).toEqual(['websocket']);
  });

  it('falls back to SSE when the server has no WebSocket (the upgrade is dropped)', async () => {
    const { server, url } = await startServer({ contract: withoutWebSocket });
    const { client, rec } = await connectedClient(url);
    expect(client.transport).toBe('sse');
    await roundTrip(server, client, rec, 1);
    expect(rec.ofKind('session')).toHaveLength(1);
  });

  it('falls back to SSE when a front refuses upgrades with an HTTP answer', async () => {
    const server = createServerFor(contract, { chatSend: accepted, uiAction() {} });
    const http = createServer((req, res) => {
      if (!server.handleRequest(req, res)) res.writeHead(404).end();
    });
    http.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n'));
    const { url } = await listen(http);
    const { client, rec } = await connectedClient(url);
    expect(client.transport).toBe('sse');
    await roundTrip({ session: server.session.bind(server) } as Awaited<ReturnType<typeof startServer>>['server'], client, rec, 1);
    server.close();
  });

  it('falls back to poll when WebSocket and SSE both fail', async () => {
    const { server, url } = await startServer({ contract: pollOnly });
    const { client, rec } = await connectedClient(url);
    expect(client.transport).toBe('poll');
    await roundTrip(server, client, rec, 1);
    expect(rec.ofKind('session')).toHaveLength(1);
  });

  it.each([
    ['websocket', undefined],
    ['sse', withoutWebSocket],
  ] as const)('once %s has worked, an outage does not make the client fall back', async (kind, c) => {
    const { server, port } = await startServer(c ? { contract: c } : {});
    const proxy = await startChaosProxy({ targetPort: port, random: () => 0.999, meanBytes: Number.MAX_SAFE_INTEGER / 4, minMs: 3_600_000, maxMs: 3_600_001 });
    const { client, rec } = await connectedClient(proxy.url);
    expect(client.transport).toBe(kind);
    await roundTrip(server, client, rec, 1);

    proxy.down = true; // every attempt now fails before it connects, as a transport that never worked would
    await waitFor(() => client.state === 'reconnecting', 'the outage to be noticed');
    const before = proxy.connections;
    await waitFor(() => proxy.connections >= before + 3, 'several refused attempts', 5000);
    proxy.down = false;

    await nextEvent(client, 'session', (e) => e.resumed);
    expect(client.transport).toBe(kind);
    await roundTrip(server, client, rec, 2);
    expect(rec.seqs).toEqual([1, 2]);
    expect(transportsSeen(rec)).toEqual([kind]);
    await sleep(50);
    expect(client.transport).toBe(kind);
  });
});
