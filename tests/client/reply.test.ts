/**
 * C4 over real sockets, on every transport: the canonical contract's chat.send declares
 * chat.accepted as its reply, so its handler returns the ids the server assigned, the server sends
 * them as a data message whose header names the frame's cseq, and `send.chatSend` resolves to that
 * typed frame — once, and the application's `on.chatAccepted` sees it once too. A handler that
 * throws rejects the send with handler_failed; one that returns nothing is a handler failure too.
 * The type tests at the end are compiled by `npm run typecheck`: each line after a
 * @ts-expect-error must be a compile error (else tsc reports TS2578).
 */
import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createAgentUiClient, type AgentUiClient } from '../../generated/client.js';
import { ClientSendError } from '../../generated/runtime/client/outbound.js';
import type { WebSocketConstructor } from '../../generated/runtime/client/transport.js';
import type { TransportKind } from '../../generated/runtime/contract.js';
import { createAgentUiServer, type AgentUiHandlers } from '../../generated/server.js';
import type { ChatAccepted } from '../../generated/types.js';
import { accepted } from '../support/accepted.js';
import { listenUntilCleanup } from '../support/http.js';
import { cleanup, onCleanup, waitFor } from '../support/lifecycle.js';
import { TRANSPORTS } from './helpers.js';

afterEach(cleanup);

describe.each(TRANSPORTS)('chat.send answered by chat.accepted over %s (C4)', (transport: TransportKind) => {
  it('send resolves to the typed reply with the ids the handler assigned, naming its cseq, once; a failing handler rejects it', async () => {
    const handled: number[] = [];
    const app = createAgentUiServer({
      handlers: {
        chatSend(message, ctx) {
          handled.push(message.header.cseq ?? 0);
          if (message.payload.text === 'throw') throw new Error('handler exploded on purpose');
          // A handler that returns nothing breaks its type; at run time it is a handler failure too.
          if (message.payload.text === 'nothing') return undefined as never;
          void ctx.emit.agentEvent({ conversation_id: message.payload.conversation_id, turn_id: `t-${message.header.cseq}`, kind: 'text', text: 'thinking' });
          return accepted(message);
        },
        uiAction() {},
      },
    });
    const http = createServer();
    app.attach(http);
    onCleanup(() => app.close());
    const { url } = await listenUntilCleanup(http);
    const client = createAgentUiClient({ url, transport, WebSocket: WebSocket as unknown as WebSocketConstructor, backoff: { initialMs: 5, maxMs: 50 } });
    onCleanup(() => client.close());
    const seen: ChatAccepted[] = [];
    client.on.chatAccepted((m) => void seen.push(m));

    const first = await client.send.chatSend({ conversation_id: 'c-1', text: 'hello' });
    expect(first.type).toBe('chat.accepted');
    expect(first.header.cseq).toBe(1);
    expect(first.header.seq).toBe(2); // after the agent.event the handler emitted first
    expect(first.payload).toEqual({ conversation_id: 'c-1', message_id: 'm-1', turn_id: 't-1' });

    // Several in flight: each resolves to the reply naming its own cseq.
    const many = await Promise.all(['a', 'b', 'c'].map((text) => client.send.chatSend({ conversation_id: 'c-2', text })));
    expect(many.map((r) => [r.header.cseq, r.payload.message_id, r.payload.conversation_id])).toEqual([
      [2, 'm-2', 'c-2'],
      [3, 'm-3', 'c-2'],
      [4, 'm-4', 'c-2'],
    ]);

    const failed = await client.send.chatSend({ conversation_id: 'c-1', text: 'throw' }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ClientSendError);
    expect(failed).toMatchObject({ code: 'handler_failed' });
    const empty = await client.send.chatSend({ conversation_id: 'c-1', text: 'nothing' }).catch((e: unknown) => e);
    expect(empty).toMatchObject({ code: 'handler_failed' });

    const again = await client.send.chatSend({ conversation_id: 'c-1', text: 'again' });
    expect([again.header.cseq, again.payload.message_id]).toEqual([7, 'm-7']);
    expect(client.acked).toBe(7);
    expect(handled).toEqual([1, 2, 3, 4, 5, 6, 7]);

    // The application saw each reply once, as the data message it is (seq-ordered, no duplicate).
    await waitFor(() => seen.length >= 5, 'every reply through on.chatAccepted');
    expect(seen.map((m) => m.header.cseq)).toEqual([1, 2, 3, 4, 7]);
    expect(new Set(seen.map((m) => m.header.seq)).size).toBe(5);
  });
});

// ---- Type tests (compiled by `npm run typecheck`, never run) ------------------------------------

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const typeIs = <T extends true>(): T | undefined => undefined;

/** send.chatSend resolves to the chat.accepted frame; a message without a reply resolves to nothing. */
export function sendTypes(client: AgentUiClient): void {
  typeIs<Equal<Awaited<ReturnType<AgentUiClient['send']['chatSend']>>['payload'], ChatAccepted['payload']>>();
  typeIs<Equal<Awaited<ReturnType<AgentUiClient['send']['chatSend']>>['type'], 'chat.accepted'>>();
  typeIs<Equal<Awaited<ReturnType<AgentUiClient['send']['uiAction']>>, void>>();
  void client.send.chatSend({ conversation_id: 'c-1', text: 'hi' }).then((reply) => {
    const ids: { message_id: string; turn_id: string } = reply.payload;
    // @ts-expect-error the reply of chat.send is chat.accepted, not agent.event
    void reply.payload.kind;
    return ids;
  });
}

/** The handler of chat.send must return chat.accepted's payload (or a promise of it). */
export const returnsReply: AgentUiHandlers = {
  chatSend: (message) => Promise.resolve(accepted(message)),
  uiAction() {},
};

export const returnsNothing: AgentUiHandlers = {
  // @ts-expect-error chat.send declares a reply: a handler that returns nothing does not compile
  chatSend() {},
  uiAction() {},
};

export const returnsWrongPayload: AgentUiHandlers = {
  // @ts-expect-error chat.accepted's payload needs turn_id
  chatSend: (message) => ({ conversation_id: message.payload.conversation_id, message_id: 'm-1' }),
  uiAction() {},
};

export const returnsAnotherMessage: AgentUiHandlers = {
  // @ts-expect-error the reply is chat.accepted's payload, not an agent.event
  chatSend: (message) => ({ conversation_id: message.payload.conversation_id, turn_id: 't-1', kind: 'text' as const, text: 'hi' }),
  // ui.action declares no reply: returning nothing is right
  uiAction() {},
};
