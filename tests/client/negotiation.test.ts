/**
 * H2 from the client's side: the client names the versions it speaks when it connects and gets
 * the highest one both sides share; the version is kept across a resume.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TransportKind } from '../../generated/runtime/contract.js';
import type { ProtocolHello } from '../../generated/types.js';
import { cleanup, nextEvent, startClient, startServer, TRANSPORTS, waitFor } from './helpers.js';

afterEach(cleanup);

describe.each(TRANSPORTS)('version negotiation over %s', (transport: TransportKind) => {
  it("versions ['1.0'] gets protocolVersion '1.0'", async () => {
    const { server, url } = await startServer();
    const client = startClient(url, { transport, versions: ['1.0'] });
    const hellos: ProtocolHello[] = [];
    client.on.protocolHello((h) => hellos.push(h));
    const session = await nextEvent(client, 'session');
    expect(session.protocolVersion).toBe('1.0');
    expect(client.protocolVersion).toBe('1.0');
    expect(hellos[0]!.payload.protocol_version).toBe('1.0');
    expect(server.core.local(client.sessionId!)!.protocolVersion).toBe('1.0');

    // A resume offers the same versions and keeps the version.
    client.reconnect();
    const resumed = await nextEvent(client, 'session', (e) => e.resumed);
    expect(resumed.protocolVersion).toBe('1.0');
    await waitFor(() => client.state === 'open', 'open after the resume');
    expect(client.protocolVersion).toBe('1.0');
  });

  it('without versions the client offers all of them and gets the highest (1.1)', async () => {
    const { url } = await startServer();
    const client = startClient(url, { transport });
    const session = await nextEvent(client, 'session');
    expect(session.protocolVersion).toBe('1.1');
    expect(client.protocolVersion).toBe('1.1');
  });

  it("versions ['1.0', '1.1'] gets the highest common one", async () => {
    const { url } = await startServer();
    const client = startClient(url, { transport, versions: ['1.0', '1.1'] });
    expect((await nextEvent(client, 'session')).protocolVersion).toBe('1.1');
  });
});
