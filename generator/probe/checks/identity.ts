/**
 * Probe checks of identity (A2): a session belongs to the principal that created it. With the
 * credentials of another principal (`--other-header`) a resume (a poll with a cursor is one) or a
 * POST to a session of the first principal (`--header`) is refused exactly like an unknown
 * session, and the owner still resumes it. Run only with `--other-header` (an anonymous server has
 * one principal only); skipped, with the reason, if one is selected by --only without it.
 */
import { describeAll, fail } from '../context.js';
import { framesOf, type WireFrame } from '../link.js';
import { expectRefusal, postRefusal, resumedHead, skip, transportCheck, type TransportCheck } from './check.js';

const NO_OTHER = 'needs the credentials of another principal: run the probe with --other-header';

export const identityChecks: readonly TransportCheck[] = [
  transportCheck({
    id: 'other-principal-resume',
    statement: 'A2.1',
    otherPrincipal: true,
    sentence: 'A resume (a poll with a cursor) of a session by another principal, with the right token, is refused like an unknown session; its owner then resumes it.',
    async run(ctx) {
      const other = ctx.asOther() ?? skip(NO_OTHER);
      const { link, session } = await ctx.openSession();
      link.drop();
      const theirs = await other.resume(session, ctx.origin - 1);
      await expectRefusal(other, theirs, { type: 'protocol.resume_failed', code: 'unknown_session', close: 'resume_failed', what: `a resume by another principal (--other-header) of a session of the first` });
      const mine = await ctx.resume(session, ctx.origin - 1);
      await resumedHead(ctx, mine, 'the owner\'s resume after another principal was refused');
      mine.drop();
      return 'refused as unknown_session; the owner resumes';
    },
  }),
  transportCheck({
    id: 'other-principal-post',
    statement: 'A2.2',
    only: ['sse', 'poll'],
    otherPrincipal: true,
    sentence: 'A POST by another principal with the session\'s token is refused like an unknown session (404 unknown_session) and produces nothing.',
    async run(ctx) {
      const other = ctx.asOther() ?? skip(NO_OTHER);
      const { link, session } = await ctx.openSession();
      const a = await other.http('POST', ctx.path('messagesPath'), {
        query: `session_id=${encodeURIComponent(session.id)}`,
        headers: { 'content-type': 'application/json', 'resume-token': session.token },
        body: JSON.stringify(ctx.triggerFrame(session.id)),
      });
      postRefusal({ status: a.status, body: a.json, frames: (framesOf(a.json) ?? []) as WireFrame[] }, 'unknown_session', 404, 'a trigger POSTed by another principal with the session\'s token');
      const stray = (await ctx.quiet(link)).filter((r) => r.data);
      if (stray.length > 0) fail(`the refused POST produced data: ${describeAll(stray)}`);
      link.drop();
      return '404 unknown_session; no data';
    },
  }),
];
