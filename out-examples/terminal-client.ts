/**
 * A terminal client of the agent service, built only on generated/ (and `ws`, the WebSocket of
 * Node 20). It prints every data message with its seq, checks that each is the one after the
 * last, and drops its connection now and then to show the resume:
 *
 *   resumed from seq 41, replayed 14 messages (seq 42..55), no gaps
 *
 * Keys (in a terminal): d = drop the connection (client.reconnect()), o = a 3 s network outage
 * (the service cuts connections and the agent keeps going), q = quit.
 *
 * Options: --url=http://127.0.0.1:8787  --transport=auto|websocket|sse|poll
 *          --drop-every=6 (seconds; 0: never)  --exit-after=0 (seconds; 0: run until q / Ctrl-C)
 */
import WebSocket from 'ws';
import { createAgentUiClient } from '../generated/client.js';
import { createSeqTracker } from './web/seq-tracker.js';

const arg = (name: string, fallback: string): string => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const url = arg('url', process.env.AGENT_URL ?? 'http://127.0.0.1:8787');
const transport = arg('transport', 'auto') as 'auto' | 'websocket' | 'sse' | 'poll';
const dropEvery = Number(arg('drop-every', '6'));
const exitAfter = Number(arg('exit-after', '0'));

// A1: the service lets in signed-in users; this client is "terminal" (the cookie the login would set).
const client = createAgentUiClient({ url, transport, WebSocket, auth: { cookie: 'user=terminal' } });

let drops = 0;
const time = (): string => new Date().toISOString().slice(11, 23);
const say = (text: string): void => console.log(`${time()}  ${text}`);

// Checks every data message is the one after the last, and reports each resume.
const seqs = createSeqTracker(client, (line, ok) => say(ok ? `>> ${line}` : `!! ${line}`));

/** Every data message, whatever its type. */
function onData(seq: number, what: string): void {
  say(`#${String(seq).padStart(5)}  ${what}`);
  seqs.data(seq);
}

client.on.uiRender((m) => onData(m.header.seq, `ui.render   view "${m.payload.view_id}" with ${m.payload.root.children?.length ?? 0} children`));
client.on.uiPatch((m) => onData(m.header.seq, `ui.patch    ${m.payload.ops.map((o) => `${o.op} ${o.path} = ${JSON.stringify(o.value)?.slice(0, 50)}`).join('; ')}`));
client.on.agentEvent((m) => onData(m.header.seq, `agent.event ${m.payload.turn_id} ${m.payload.kind}${m.payload.text ? ` "${m.payload.text}"` : ''}${m.payload.tool ? ` ${m.payload.tool}` : ''}`));
client.onEvent((e) => {
  if (e.kind === 'state') say(`-- ${e.state}${e.transport ? ` (${e.transport})` : ''}`);
  if (e.kind === 'session') say(`-- ${e.resumed ? 'resumed' : 'new'} session ${e.sessionId.slice(0, 8)}…, protocol ${e.protocolVersion}`);
  if (e.kind === 'resume-failed') say(`!! resume failed: ${e.reason} (${e.message})`);
  if (e.kind === 'error') say(`!! ${e.code}: ${e.message}`);
});

function drop(): void {
  drops++;
  say(`-- dropping the connection at seq ${seqs.lastSeq}`);
  client.reconnect();
}
function outage(): void {
  drops++;
  say(`-- asking the service for a 3 s network outage at seq ${seqs.lastSeq}`);
  fetch(`${url}/demo/outage?ms=3000`, { method: 'POST' }).catch((err: Error) => say(`!! outage request failed: ${err.message}`));
}
function quit(): void {
  client.close();
  say(`received ${seqs.received} data messages, last seq ${seqs.lastSeq}, ${drops} drops, ${seqs.gaps} gaps`);
  process.exit(seqs.gaps === 0 ? 0 : 1);
}

// Timed drops alternate between a plain reconnect and an outage, so both show up.
if (dropEvery > 0) {
  let n = 0;
  setInterval(() => (n++ % 2 === 0 ? drop() : outage()), dropEvery * 1000);
}
if (exitAfter > 0) setTimeout(quit, exitAfter * 1000);
if (process.stdin.isTTY) {
  process.stdin.setRawMode(true);
  process.stdin.on('data', (key: Buffer) => {
    const k = key.toString();
    if (k === 'd') drop();
    else if (k === 'o') outage();
    else if (k === 'q' || k === '\u0003') quit();
  });
  say(`connecting to ${url} — keys: d = drop, o = outage, q = quit`);
} else say(`connecting to ${url}`);
process.on('SIGINT', quit);
