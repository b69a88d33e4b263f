/**
 * H1–H2: the hello that opens every attachment, and version negotiation (wire.md §5).
 */
import { describeAll, fail, seqOf, type TransportContext } from '../context.js';
import { clip, framesOf } from '../link.js';
import { expectRefusal, sameSet, transportCheck, unknownVersion, type TransportCheck } from './check.js';

/** H2: each `versions` offer opens a session whose hello carries the wanted version. */
async function expectVersions(ctx: TransportContext, cases: readonly (readonly [string, string])[]): Promise<string> {
  for (const [offer, want] of cases) {
    const link = await ctx.open({ versions: offer });
    const hello = await link.next(ctx.timeoutMs);
    const got = hello?.frame.type === 'protocol.hello' ? hello.frame.payload.protocol_version : undefined;
    if (got !== want) fail(`versions=${JSON.stringify(offer)} was answered with ${got !== undefined ? `protocol_version ${JSON.stringify(got)}` : `${describeAll(link.log)}${ctx.endText(link)}`}; expected ${want}`);
    link.drop();
  }
  return cases.map(([o, w]) => `${clip(JSON.stringify(o), 30)} → ${w}`).join('; ');
}

export const helloChecks: readonly TransportCheck[] = [
  transportCheck({
    id: 'hello-fields',
    statement: 'H1.1',
    sentence: 'The first frame of a new session is protocol.hello with the negotiated version, session_id, resume_token, latest_seq 0, and the replay window, heartbeat, TTL, transports and capabilities in force.',
    async run(ctx) {
      const { link, hello } = await ctx.openSession();
      const m = ctx.spec.model;
      const p = hello.frame.payload;
      const wrong: string[] = [];
      const expect = (name: string, got: unknown, want: unknown, why = 'the spec says'): void => {
        if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push(`${name} is ${JSON.stringify(got)}, ${why} ${JSON.stringify(want)}`);
      };
      const timers = ctx.timers.given ? '--timers says' : 'the spec says';
      if (link.log[0]?.frame.type !== 'protocol.hello') wrong.push(`the first frame is ${describeAll(link.log.slice(0, 1))}`);
      expect('protocol_version', p.protocol_version, m.protocolVersions[m.protocolVersions.length - 1]);
      if (typeof p.session_id !== 'string') wrong.push('session_id is missing');
      if (typeof p.resume_token !== 'string') wrong.push('resume_token is missing');
      expect('latest_seq', p.latest_seq, ctx.origin - 1);
      expect('replay_window', p.replay_window, { max_messages: m.replayWindow.maxMessages, max_bytes: m.replayWindow.maxBytes });
      expect('heartbeat_ms', p.heartbeat_ms, ctx.timers.heartbeatMs, timers);
      expect('session_ttl_ms', p.session_ttl_ms, ctx.timers.ttlMs, timers);
      expect('max_frame_bytes', p.max_frame_bytes, m.maxFrameBytes);
      const transports = m.transports.map((t) => t.kind);
      if (!Array.isArray(p.transports) || !sameSet(p.transports, transports)) wrong.push(`transports is ${JSON.stringify(p.transports)}, the spec declares ${JSON.stringify(transports)}`);
      const missing = m.capabilities.filter((c) => !Array.isArray(p.capabilities) || !p.capabilities.includes(c));
      if (!Array.isArray(p.capabilities) || missing.length > 0) wrong.push(`capabilities ${JSON.stringify(p.capabilities)} lack ${missing.join(', ')}`);
      if (hello.frame.header.session_id !== p.session_id) wrong.push(`header.session_id ${JSON.stringify(hello.frame.header.session_id)} is not payload.session_id`);
      if (wrong.length > 0) fail(wrong.join('; '));
      return `${String(p.protocol_version)}, latest_seq ${String(p.latest_seq)}, every parameter as ${ctx.timers.given ? 'the spec and --timers say' : 'in the spec'}`;
    },
  }),
  transportCheck({
    id: 'poll-open-at-once',
    statement: 'H1.2',
    only: ['poll'],
    sentence: 'A poll without session_id is answered at once (not held) with 200 { "frames": [protocol.hello] }.',
    async run(ctx) {
      const t0 = Date.now();
      const a = await ctx.http('GET', ctx.path(), { query: `versions=${ctx.versions}` });
      const ms = Date.now() - t0;
      const frames = framesOf(a.json);
      if (a.status !== 200 || !frames) fail(`${a.shown}; expected 200 { "frames": [protocol.hello] }`);
      const types = frames.map((f) => (f as { type?: unknown } | null)?.type);
      if (types.length !== 1 || types[0] !== 'protocol.hello') fail(`${a.shown}: frames ${JSON.stringify(types)}; expected exactly [protocol.hello]`);
      const limit = Math.max(2000, ctx.timers.holdMs / 2);
      if (ms > limit) fail(`the new-session poll took ${ms} ms: it was held (the hold is ${ctx.timers.holdMs} ms)`);
      return `200 [protocol.hello] in ${ms} ms`;
    },
  }),
  transportCheck({
    id: 'resumed-hello',
    statement: 'H1.3',
    sentence: 'The hello of a resumed attachment names the same session and carries its newest seq as latest_seq.',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      await ctx.trigger(link);
      const data = await ctx.takeData(link, ctx.produces, 'the trigger');
      const latest = seqOf(data[data.length - 1]!) ?? ctx.origin - 1 + ctx.produces;
      link.drop();
      const resumed = await ctx.resume(session, latest);
      const hello = await resumed.next(ctx.timeoutMs);
      if (hello?.frame.type !== 'protocol.hello') fail(`a resume from ${latest} was answered with ${describeAll(resumed.log)}${ctx.endText(resumed)}; expected protocol.hello first`);
      const p = hello.frame.payload;
      if (p.session_id !== session.id) fail(`the resumed hello names session ${JSON.stringify(p.session_id)}, not ${session.id}`);
      if (p.latest_seq !== latest) fail(`the resumed hello says latest_seq ${JSON.stringify(p.latest_seq)}; the session's newest seq is ${latest}`);
      return `same session, latest_seq ${latest}`;
    },
  }),
  transportCheck({
    id: 'version-negotiation',
    statement: 'H2.1',
    sentence: 'The server picks the highest protocol version it shares with the client.',
    async run(ctx) {
      const versions = ctx.spec.model.protocolVersions;
      const highest = versions[versions.length - 1]!;
      const lowest = versions[0]!;
      const cases: [string, string][] = [
        [versions.join(','), highest],
        [lowest, lowest],
        [`${lowest},${unknownVersion(ctx.spec)}`, lowest],
      ];
      return expectVersions(ctx, cases);
    },
  }),
  transportCheck({
    id: 'version-none-named',
    statement: 'H2.2',
    sentence: 'A client that names no version gets the server’s highest.',
    async run(ctx) {
      const versions = ctx.spec.model.protocolVersions;
      const highest = versions[versions.length - 1]!;
      const link = await ctx.open({ versions: null });
      const hello = await link.next(ctx.timeoutMs);
      if (hello?.frame.type !== 'protocol.hello') fail(`a connect without versions was answered with ${describeAll(link.log)}${ctx.endText(link)}; expected protocol.hello`);
      if (hello.frame.payload.protocol_version !== highest) fail(`a connect without versions got protocol_version ${JSON.stringify(hello.frame.payload.protocol_version)}; expected ${highest}`);
      return `no versions → ${highest}`;
    },
  }),
  transportCheck({
    id: 'version-unsupported',
    statement: 'H2.3',
    sentence: 'A client that offers no version the server speaks gets protocol.error unsupported_version with the supported versions and no session (WebSocket: close 4004; SSE: the only event; poll: HTTP 400).',
    async run(ctx) {
      const offer = unknownVersion(ctx.spec);
      const link = await ctx.open({ versions: offer });
      const error = await expectRefusal(ctx, link, { type: 'protocol.error', code: 'unsupported_version', close: 'unsupported_version', what: `versions=${offer}` });
      if (link.log.some((f) => f.frame.type === 'protocol.hello')) fail(`versions=${offer} opened a session: ${describeAll(link.log)}`);
      const supported = error.frame.payload.supported_versions;
      const versions = ctx.spec.model.protocolVersions;
      if (!Array.isArray(supported) || !sameSet(supported, versions)) fail(`unsupported_version lists supported_versions ${JSON.stringify(supported)}; the spec speaks ${versions.join(', ')}`);
      return `${offer} → unsupported_version [${versions.join(', ')}]${ctx.statusOf(link)}`;
    },
  }),
  transportCheck({
    id: 'resume-negotiates',
    statement: 'H2.4',
    sentence: 'A resume negotiates the version again: its hello carries the version picked now, and one with no version in common is refused with unsupported_version, leaving the session as it was.',
    async run(ctx) {
      const versions = ctx.spec.model.protocolVersions;
      const lowest = versions[0]!;
      const { link, session } = await ctx.openSession();
      link.drop();
      const low = await ctx.resume(session, ctx.origin - 1, { versions: lowest });
      const hello = await low.next(ctx.timeoutMs);
      if (hello?.frame.type !== 'protocol.hello' || hello.frame.payload.protocol_version !== lowest) fail(`a resume naming versions=${lowest} was answered with ${hello?.frame.type === 'protocol.hello' ? `protocol_version ${JSON.stringify(hello.frame.payload.protocol_version)}` : describeAll(low.log)}; expected a hello with ${lowest}`);
      low.drop();
      const offer = unknownVersion(ctx.spec);
      const none = await ctx.resume(session, ctx.origin - 1, { versions: offer });
      await expectRefusal(ctx, none, { type: 'protocol.error', code: 'unsupported_version', close: 'unsupported_version', what: `a resume naming versions=${offer}` });
      const again = await ctx.resume(session, ctx.origin - 1);
      const back = await again.next(ctx.timeoutMs);
      if (back?.frame.type !== 'protocol.hello' || back.frame.payload.session_id !== session.id) fail(`after the refused resume, a proper one was answered with ${describeAll(again.log)}${ctx.endText(again)}: the refusal harmed the session`);
      return `resume with ${lowest} → ${lowest}; with ${offer} → unsupported_version; then resumes again`;
    },
  }),
  transportCheck({
    id: 'version-list-blanks',
    statement: 'H2.5',
    sentence: 'Blanks around the listed versions do not count, and an empty versions parameter names no version.',
    async run(ctx) {
      const versions = ctx.spec.model.protocolVersions;
      const lowest = versions[0]!;
      const highest = versions[versions.length - 1]!;
      const cases: [string, string][] = [
        [` ${lowest} , ${unknownVersion(ctx.spec)} `, lowest],
        ['', highest],
      ];
      return expectVersions(ctx, cases);
    },
  }),
];
