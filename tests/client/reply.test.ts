/**
 * C4 over real sockets, on every transport: a client message that declares a reply (here
 * chat.send → chat.accepted, declared on a copy of the contract) is answered by the value its
 * handler returns, sent as a data message whose header names the frame's cseq; `send` resolves
 * to that reply. A handler that throws rejects the send with handler_failed; one that returns
 * nothing is a handler failure too.
 */
import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { WebSocketConstructor } from '../../generated/runtime/client/transport.js';
import type { TransportKind } from '../../generated/runtime/contract.js';
import type { ChatSend } from '../../generated/types.js';
import { ClientSendError } from '../../runtime/client/outbound.js';
import { createContractClient } from '../../runtime/client/contract-client.js';
import { createContractServer } from '../../runtime/server/contract-server.js';
import { contractWith, protocolWith, type AgentUiProtocol } from '../support/contract.js';
import { listenUntilCleanup } from '../support/http.js';
import { cleanup, onCleanup } from '../support/lifecycle.js';
import { TRANSPORTS } from './helpers.js';

afterEach(cleanup);

const withReply = contractWith((c) => {
  (c.messages['chat.send'] as { reply?: string }).reply = 'chat.accepted';
});

describe.each(TRANSPORTS)('a declared reply over %s (C4)', (transport: TransportKind) => {
  it('send resolves to the reply the handler returned, whose header names the cseq; a failing handler rejects it', async () => {
    let turns = 0;
    const app = createContractServer<AgentUiProtocol>(protocolWith(withReply), {
      handlers: {
        // The canonical AgentUiProtocol types declare no reply: this copy of the contract does.
        chatSend: ((message: ChatSend) => {
          if (message.payload.text === 'throw') throw new Error('handler exploded on purpose');
          if (message.payload.text === 'nothing') return undefined;
          return { conversation_id: message.payload.conversation_id, message_id: `m-${message.header.cseq}`, turn_id: `t-${++turns}` };
        }) as never,
        uiAction() {},
      },
    });
    const http = createServer();
    app.attach(http);
    onCleanup(() => app.close());
    const { url } = await listenUntilCleanup(http);
    const client = createContractClient<AgentUiProtocol>(protocolWith(withReply), { url, transport, WebSocket: WebSocket as unknown as WebSocketConstructor, backoff: { initialMs: 5, maxMs: 50 } });
    onCleanup(() => client.close());

    const first = (await client.send.chatSend({ conversation_id: 'c-1', text: 'hello' })) as unknown as { type: string; header: { cseq: number; seq: number }; payload: object };
    expect(first.type).toBe('chat.accepted');
    expect(first.header.cseq).toBe(1);
    expect(first.payload).toEqual({ conversation_id: 'c-1', message_id: 'm-1', turn_id: 't-1' });

    const failed = await client.send.chatSend({ conversation_id: 'c-1', text: 'throw' }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ClientSendError);
    expect(failed).toMatchObject({ code: 'handler_failed' });
    const empty = await client.send.chatSend({ conversation_id: 'c-1', text: 'nothing' }).catch((e: unknown) => e);
    expect(empty).toMatchObject({ code: 'handler_failed' });

    const again = (await client.send.chatSend({ conversation_id: 'c-1', text: 'again' })) as unknown as { header: { cseq: number }; payload: { message_id: string } };
    expect(again.header.cseq).toBe(4);
    expect(again.payload.message_id).toBe('m-4');
    expect(client.acked).toBe(4);
  });
});
