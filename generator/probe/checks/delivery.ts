/**
 * C2: client frames are handed to their handler at most once, in order, and acknowledged (wire.md
 * §9). The conformance trigger is the frame: handled, it produces data; sent again with the same
 * `cseq` it must be acknowledged and produce nothing; sent with a `cseq` past the next one it
 * must be refused as a gap and produce nothing.
 */
import { describeAll, fail, seqOf, type SessionRef, type TransportContext } from '../context.js';
import type { Link, Received } from '../link.js';
import { postRefusal, resumedHead, transportCheck, type TransportCheck } from './check.js';

/** The trigger numbered `cseq`. */
function numbered(ctx: TransportContext, session: SessionRef, cseq: number): object {
  const frame = ctx.triggerFrame(session.id) as { header: Record<string, unknown> };
  return { ...frame, header: { ...frame.header, cseq } };
}

/** Frames until `done` holds for what came (or fails, naming what came). */
async function until(ctx: TransportContext, link: Link, done: (got: readonly Received[]) => boolean, what: string): Promise<Received[]> {
  const got: Received[] = [];
  while (!done(got)) {
    const r = await link.next(ctx.timeoutMs);
    if (!r) fail(`${what}: got ${describeAll(got)} and nothing more within ${ctx.timeoutMs} ms${ctx.endText(link)}`);
    got.push(r);
  }
  return got;
}

const receivedAcked = (got: readonly Received[], acked: number): boolean => got.some((r) => r.frame.type === 'protocol.received' && r.frame.payload.acked === acked);

/**
 * Sends the trigger numbered `cseq` and returns the acknowledgement it earned: the POST answer's
 * `acked` (HTTP), or the `acked` of the protocol.received that follows it (WebSocket), with the
 * frames that came meanwhile.
 */
export async function sendNumbered(ctx: TransportContext, link: Link, session: SessionRef, cseq: number, expectAcked: number, what: string): Promise<{ acked: number; frames: Received[] }> {
  const answer = await link.send(numbered(ctx, session, cseq), { token: session.token });
  if (ctx.kind !== 'websocket') {
    const body = answer?.body as { acked?: unknown } | undefined;
    if (answer?.status !== 202 || typeof body?.acked !== 'number') fail(`${what} was answered HTTP ${String(answer?.status)} ${JSON.stringify(answer?.body)}; expected 202 with "acked" (C2.1)`);
    return { acked: body.acked, frames: [] };
  }
  const frames = await until(ctx, link, (got) => receivedAcked(got, expectAcked), `${what}: waiting for protocol.received { acked: ${expectAcked} }`);
  return { acked: expectAcked, frames };
}

/** The trigger numbered `cseq`, acknowledged, and the data it produced; returns that data. */
export async function handled(ctx: TransportContext, link: Link, session: SessionRef, cseq: number, what: string): Promise<Received[]> {
  const sent = await sendNumbered(ctx, link, session, cseq, cseq, what);
  if (sent.acked !== cseq) fail(`${what} was acknowledged with acked ${sent.acked}; expected ${cseq} (C2.1)`);
  const early = sent.frames.filter((r) => r.data);
  return [...early, ...(await ctx.takeData(link, ctx.produces - early.length, what))];
}

export const deliveryChecks: readonly TransportCheck[] = [
  transportCheck({
    id: 'cseq-duplicate-acknowledged',
    statement: 'C2.2',
    sentence: 'A client frame sent again with a cseq already accepted is acknowledged again and never handled again.',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      const data = await handled(ctx, link, session, 1, 'the trigger with cseq 1');
      const again = await sendNumbered(ctx, link, session, 1, 1, 'the same trigger sent again with cseq 1');
      if (again.acked !== 1) fail(`the trigger sent again with cseq 1 was acknowledged with acked ${again.acked}; expected 1`);
      const stray = [...again.frames, ...(await ctx.quiet(link))].filter((r) => r.data);
      if (stray.length > 0) fail(`the trigger sent again with cseq 1 was handled again: ${describeAll(stray)}`);
      link.drop();
      return `cseq 1: acked 1, ${data.length} data messages; sent again: acked 1, no data`;
    },
  }),
  transportCheck({
    id: 'cseq-gap-refused',
    statement: 'C2.3',
    sentence: 'A client frame whose cseq is above the highest accepted + 1 is refused with cseq_gap naming its cseq, and not handled.',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      const what = 'the trigger with cseq 3 as the first frame';
      let error;
      if (ctx.kind === 'websocket') {
        await link.send(numbered(ctx, session, 3), {});
        const got = await until(ctx, link, (g) => g.some((r) => r.frame.type === 'protocol.error'), what);
        error = got.find((r) => r.frame.type === 'protocol.error')!.frame;
        if (error.payload.code !== 'cseq_gap') fail(`${what} was answered with protocol.error ${String(error.payload.code)}; expected cseq_gap`);
      } else {
        const answer = await link.send(numbered(ctx, session, 3), { token: session.token });
        error = postRefusal(answer!, 'cseq_gap', 409, what);
        const acked = (answer!.body as { acked?: unknown }).acked;
        if (acked !== 0) fail(`${what} was refused with acked ${JSON.stringify(acked)}; expected 0`);
      }
      if (error.payload.cseq !== 3 || error.payload.path !== '/header/cseq') fail(`${what}: cseq_gap with cseq ${JSON.stringify(error.payload.cseq)} and path ${JSON.stringify(error.payload.path)}; expected cseq 3 at /header/cseq`);
      const stray = (await ctx.quiet(link)).filter((r) => r.data);
      if (stray.length > 0) fail(`${what} was refused, yet data arrived: ${describeAll(stray)}`);
      // The session is intact: cseq 1 is still the next one.
      const next = await sendNumbered(ctx, link, session, 1, 1, 'the trigger with cseq 1 afterwards');
      if (next.acked !== 1) fail(`after the gap, cseq 1 was acknowledged with acked ${next.acked}; expected 1`);
      link.drop();
      return `cseq_gap with cseq 3 at /header/cseq${ctx.kind === 'websocket' ? '' : ' (HTTP 409, acked 0)'}; no data; cseq 1 accepted afterwards`;
    },
  }),
  transportCheck({
    id: 'resumed-acked',
    statement: 'C2.4',
    sentence: 'protocol.resumed carries acked, the highest cseq of the session accepted, on whichever process or transport the session resumes.',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      await handled(ctx, link, session, 1, 'the trigger with cseq 1');
      const data = await handled(ctx, link, session, 2, 'the trigger with cseq 2');
      link.drop();
      const again = await ctx.resume(session, seqOf(data[data.length - 1]!) ?? ctx.origin - 1);
      const { resumed } = await resumedHead(ctx, again, 'the resume');
      if (resumed.frame.payload.acked !== 2) fail(`protocol.resumed carries acked ${JSON.stringify(resumed.frame.payload.acked)}; expected 2`);
      again.drop();
      return 'two frames accepted; protocol.resumed { acked: 2 }';
    },
  }),
];
