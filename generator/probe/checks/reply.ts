/**
 * C4: a declared reply (wire.md §9, "Replies"). When the conformance trigger's message declares a
 * reply (`x-message.reply`), the server answers each handled trigger with exactly one data message
 * of that type whose `header.cseq` names the trigger, after the data the handler emitted (in
 * conformance mode the reply is the last of the `produces` messages); it is replayed like any data,
 * and a trigger sent again is not answered again. A spec whose trigger declares no reply skips them.
 */
import { describeAll, fail, seqOf, type TransportContext } from '../context.js';
import type { Received } from '../link.js';
import type { PollLink } from '../poll-link.js';
import { resumedHead, skip, transportCheck, type TransportCheck } from './check.js';
import { handled, sendNumbered } from './delivery.js';

/** The type of the trigger's declared reply, or a skip. */
function replyType(ctx: TransportContext): string {
  const type = ctx.spec.conformance.reply?.type;
  if (type === undefined) skip(`the conformance trigger ${ctx.spec.conformance.trigger.type} declares no reply (x-message.reply)`);
  return type;
}

const cseqOf = (r: Received): unknown => r.frame.header.cseq;

/** The one reply among `data`, naming `cseq` (and the last of them when `last`); fails with what came otherwise. */
function theReply(data: readonly Received[], type: string, cseq: number, what: string, last: boolean): Received {
  const replies = data.filter((r) => r.frame.type === type);
  if (replies.length !== 1) fail(`${what} was answered by ${replies.length} ${type} among ${describeAll(data)}; expected exactly one`);
  const reply = replies[0]!;
  if (cseqOf(reply) !== cseq) fail(`${what}: its ${type} carries header.cseq ${JSON.stringify(cseqOf(reply))}; expected ${cseq}, the frame it answers`);
  if (last && data[data.length - 1] !== reply) fail(`${what}: its ${type} came before data the handler emitted (${describeAll(data)}); expected it after them`);
  return reply;
}

export const replyChecks: readonly TransportCheck[] = [
  transportCheck({
    id: 'reply-names-cseq',
    statement: 'C4.1',
    sentence: 'A frame of a message that declares a reply is answered by exactly one data message of that type whose header.cseq is the frame’s, after the data its handler emitted.',
    async run(ctx) {
      const type = replyType(ctx);
      const { link, session } = await ctx.openSession();
      const seqs: number[] = [];
      for (const cseq of [1, 2]) {
        const what = `the trigger with cseq ${cseq}`;
        seqs.push(seqOf(theReply(await handled(ctx, link, session, cseq, what), type, cseq, what, true)) ?? 0);
      }
      const stray = (await ctx.quiet(link)).filter((r) => r.data);
      if (stray.length > 0) fail(`after both replies, more data arrived: ${describeAll(stray)}; a frame is answered once`);
      link.drop();
      return `cseq 1 → ${type} seq ${seqs[0]} with cseq 1, cseq 2 → seq ${seqs[1]} with cseq 2, each the last of ${ctx.produces} data messages`;
    },
  }),
  transportCheck({
    id: 'reply-replayed',
    statement: 'C4.2',
    sentence: 'A reply is data: a resume from before it replays it with the same cseq, and a frame sent again is not answered again.',
    async run(ctx) {
      const type = replyType(ctx);
      const { link, session } = await ctx.openSession();
      const data = await handled(ctx, link, session, 1, 'the trigger with cseq 1');
      const live = theReply(data, type, 1, 'the trigger with cseq 1', false);
      link.drop();
      // A poll link acknowledged what it had each time it polled again (Q5.3), never the reply: it came last.
      const again = await ctx.resume(session, ctx.kind === 'poll' ? (link as PollLink).acked : ctx.origin - 1);
      await resumedHead(ctx, again, 'the resume from before the reply');
      const replay = await ctx.dataUntil(again, seqOf(data[data.length - 1]!) ?? ctx.origin, 'the replay');
      const replayed = replay.find((r) => seqOf(r) === seqOf(live));
      if (replayed?.frame.type !== type || cseqOf(replayed) !== 1) fail(`the replay brought ${describeAll(replay)}; expected ${type} seq ${seqOf(live)} with cseq 1 again`);
      const resent = await sendNumbered(ctx, again, session, 1, 1, 'the trigger sent again with cseq 1 after the resume');
      const stray = [...resent.frames, ...(await ctx.quiet(again))].filter((r) => r.data);
      if (stray.length > 0) fail(`the trigger sent again with cseq 1 was answered again: ${describeAll(stray)}`);
      again.drop();
      return `replayed ${type} seq ${seqOf(live)} with cseq 1; sent again: acknowledged, no reply`;
    },
  }),
];
