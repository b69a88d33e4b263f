/**
 * Rules about client → server delivery (C1–C4): every application frame can carry its `cseq`,
 * and a declared reply (`x-message.reply`) is a data message that can name the frame it answers.
 */
import { propertySchema } from '../schema-walk.js';
import type { LintRule, MessageDecl, RuleContext, RuleHit } from './rule.js';

/** A client message the application handles (not a protocol.* kernel frame). */
const isApplication = (m: MessageDecl): boolean => m.direction === 'client-to-server' && !m.type.startsWith('protocol.');

/** Whether `m`'s header declares `cseq` as an integer of at least 1; a hit when it does not. */
function cseqHit(ctx: RuleContext, m: MessageDecl, why: string): RuleHit | undefined {
  const header = propertySchema(ctx.root, m.schema, m.pointer, 'header');
  if (!header) return undefined; // message-envelope reports it
  const cseq = propertySchema(ctx.root, header.schema, header.pointer, 'cseq');
  if (!cseq) return { pointer: header.via ?? header.pointer, message: `${m.type}: its header does not declare cseq (${why})`, hint: 'use a header that declares "cseq": { "$ref": "#/$defs/Seq" } (the kernel\'s ClientHeader and DataHeader do, since kernel 1.2)' };
  if (cseq.schema.type !== 'integer' || cseq.schema.minimum !== 1) return { pointer: cseq.pointer, message: `${m.type}: header.cseq must be an integer with minimum 1 (C1: 1-based)`, hint: 'declare cseq as { "$ref": "#/$defs/Seq" }' };
  return undefined;
}

export const deliveryRules: LintRule[] = [
  {
    id: 'client-message-cseq',
    rule: 'C1',
    sentence: 'Every client-to-server application message declares header.cseq, an integer from 1, so the client can number it and the server hand it over once.',
    check: (ctx) => ctx.messages.filter(isApplication).flatMap((m) => cseqHit(ctx, m, 'C1: the client numbers every application frame') ?? []),
  },
  {
    id: 'reply-on-client-message',
    rule: 'C4',
    sentence: 'x-message.reply appears only on a client-to-server application message.',
    check: (ctx) =>
      ctx.messages
        .filter((m) => m.reply !== undefined && !isApplication(m))
        .map((m) => ({ pointer: `${m.pointer}/x-message/reply`, message: `${m.type} declares a reply, but only a client-to-server application message is answered by one`, hint: 'remove "reply" from this message' })),
  },
  {
    id: 'reply-is-data',
    rule: 'C4',
    sentence: 'x-message.reply names a server-to-client data message of the contract (it is sequenced, so it survives a reconnect).',
    check(ctx) {
      const hits: RuleHit[] = [];
      for (const m of ctx.messages) {
        if (m.reply === undefined || !isApplication(m)) continue;
        const target = ctx.messages.find((x) => x.type === m.reply);
        if (!target) hits.push({ pointer: `${m.pointer}/x-message/reply`, message: `${m.type} declares the reply "${m.reply}", which is no message of this contract`, hint: 'name the x-message.type of a server-to-client data message' });
        else if (target.direction !== 'server-to-client' || target.role !== 'data') {
          hits.push({ pointer: `${m.pointer}/x-message/reply`, message: `${m.type} declares the reply ${m.reply}, a ${target.direction} ${target.role} message; a reply is a server-to-client data message`, hint: 'name a server-to-client data message, so that the reply is stamped with seq and replayed after a reconnect' });
        }
      }
      return hits;
    },
  },
  {
    id: 'reply-header-cseq',
    rule: 'C4',
    sentence: 'A message declared as a reply declares header.cseq, the number of the client frame it answers.',
    check(ctx) {
      const replies = new Set(ctx.messages.filter((m) => isApplication(m) && m.reply !== undefined).map((m) => m.reply));
      return ctx.messages.filter((m) => replies.has(m.type) && m.direction === 'server-to-client' && m.role === 'data').flatMap((m) => cseqHit(ctx, m, 'C4: a reply names the frame it answers') ?? []);
    },
  },
];
