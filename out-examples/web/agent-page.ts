/**
 * The example page: the generated client, running in the browser as native ES modules (served
 * by agent-service.ts from generated/*.ts, transpiled on request, not bundled). It renders the
 * view from ui.render and ui.patch, shows the connection state and the seqs, and checks that
 * every data message is the one after the last (no gap, no repeat) — also across a drop.
 */
import { createAgentUiClient } from '../../generated/client.js';
import type { UiNode, UiPatch } from '../../generated/types.js';
import { createSeqTracker } from './seq-tracker.js';

const $ = (id: string): HTMLElement => document.getElementById(id)!;
const transport = (new URLSearchParams(location.search).get('transport') ?? 'auto') as 'auto' | 'websocket' | 'sse' | 'poll';

// In a browser the global WebSocket, EventSource and fetch are used.
const client = createAgentUiClient({ url: location.origin, transport });

let view: UiNode | undefined;
/** The history is read once a session is open (signed in). */
let questionsLoaded = false;

function log(text: string, kind = ''): void {
  const li = document.createElement('li');
  li.textContent = `${new Date().toLocaleTimeString()}  ${text}`;
  li.className = kind;
  $('log').prepend(li);
}

/** C3: a send rejects when its delivery can no longer be known (session lost, client closed): say so. */
const sendFailed = (error: unknown): void => log(`not delivered: ${error instanceof Error ? error.message : String(error)}`, 'bad');

// Checks every data message is the one after the last, and reports each resume.
const seqs = createSeqTracker(client, (line, ok) => log(line, ok ? 'resume' : 'bad'));

function showStatus(): void {
  $('state').textContent = client.state;
  $('state').className = `badge ${client.state}`;
  $('transport').textContent = client.transport ?? '–';
  $('session').textContent = client.sessionId ? `${client.sessionId.slice(0, 8)}…` : '–';
  $('seq').textContent = String(seqs.lastSeq);
  $('received').textContent = String(seqs.received);
  $('gaps').textContent = String(seqs.gaps);
}

/** Every data message, whatever its type. */
function onData(seq: number): void {
  seqs.data(seq);
  showStatus();
}

// ---- the view -----------------------------------------------------------------------------

function renderNode(node: UiNode): HTMLElement {
  const props = node.props ?? {};
  const text = String(props.text ?? '');
  let el: HTMLElement;
  switch (node.component) {
    case 'Column':
      el = document.createElement('div');
      el.className = 'column';
      break;
    case 'Heading':
      el = document.createElement('h3');
      el.textContent = text;
      break;
    case 'Text':
      el = document.createElement('p');
      el.textContent = text;
      break;
    case 'Progress': {
      const bar = document.createElement('progress');
      bar.max = Number(props.max ?? 100);
      bar.value = Number(props.value ?? 0);
      el = bar;
      break;
    }
    case 'List':
      el = document.createElement('ul');
      break;
    case 'Item':
      el = document.createElement('li');
      el.textContent = text;
      break;
    case 'Button':
      el = document.createElement('button');
      el.textContent = String(props.label ?? node.id);
      el.onclick = () => void client.send.uiAction({ view_id: 'main', component_id: node.id, action: 'click' }).catch(sendFailed);
      break;
    default:
      el = document.createElement('div');
      el.textContent = `[${node.component}]`;
  }
  el.dataset.id = node.id;
  for (const child of node.children ?? []) el.append(renderNode(child));
  return el;
}

/** JSON-pointer add/replace/remove on the view tree ("-" appends to an array). */
function applyOps(root: UiNode, ops: UiPatch['payload']['ops']): void {
  for (const { op, path, value } of ops) {
    const keys = path.split('/').slice(1).map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = keys.pop()!;
    let parent = root as unknown as Record<string, unknown>;
    for (const k of keys) parent = (parent[k] ??= {}) as Record<string, unknown>;
    if (Array.isArray(parent)) {
      const i = last === '-' ? parent.length : Number(last);
      if (op === 'add') parent.splice(i, 0, value);
      else if (op === 'remove') parent.splice(i, 1);
      else parent[i] = value;
    } else if (op === 'remove') delete parent[last];
    else parent[last] = value;
  }
}

function showView(): void {
  if (view) $('view').replaceChildren(renderNode(view));
}

client.on.uiRender((m) => {
  onData(m.header.seq);
  view = m.payload.root;
  showView();
});
client.on.uiPatch((m) => {
  onData(m.header.seq);
  if (view) applyOps(view, m.payload.ops);
  showView();
});
client.on.agentEvent((m) => onData(m.header.seq));

// ---- connection ---------------------------------------------------------------------------

client.onEvent((e) => {
  if (e.kind === 'state') log(`state: ${e.state}${e.transport ? ` (${e.transport})` : ''}`);
  if (e.kind === 'session' && !e.resumed) log(`new session ${e.sessionId.slice(0, 8)}…, protocol ${e.protocolVersion}`);
  if (e.kind === 'resume-failed') log(`resume failed: ${e.reason} — starting a new session`, 'bad');
  if (e.kind === 'error') log(`error ${e.code}: ${e.message}`, 'bad');
  // A3: refused; the client waits for connect() (after signing in) instead of retrying.
  if (e.kind === 'unauthorized' || e.kind === 'forbidden') log(`${e.kind}: ${e.message}`, 'bad');
  if (e.kind === 'session' && !questionsLoaded) {
    questionsLoaded = true;
    void questions.load().then(showQuestions);
  }
  showStatus();
});

// A1: the service lets in signed-in users (a `user` cookie, which the browser sends by itself).
$('login').onclick = () => {
  const name = ($('user') as HTMLInputElement).value.trim() || 'guest';
  void fetch(`/demo/login?name=${encodeURIComponent(name)}`, { method: 'POST' }).then(() => {
    log(`signed in as ${name}`);
    client.connect();
  });
};
$('logout').onclick = () => {
  void fetch('/demo/logout', { method: 'POST' }).then(() => {
    log('signed out: the next connection attempt is refused');
    client.reconnect();
  });
};

$('drop').onclick = () => {
  log(`dropping the connection at seq ${seqs.lastSeq}`);
  client.reconnect();
};
$('outage').onclick = () => {
  log(`network outage for 3 s at seq ${seqs.lastSeq} (the agent keeps going)`);
  void fetch('/demo/outage?ms=3000', { method: 'POST' });
};

// ---- chat and history ---------------------------------------------------------------------

const questions = client.history.conversationHistory({ conversationId: 'demo' }, { pageSize: 20 });
const showQuestions = (): void => $('questions').replaceChildren(...questions.items.map((c) => Object.assign(document.createElement('li'), { textContent: c.chunk.text ?? '' })));

$('ask').onsubmit = (event) => {
  event.preventDefault();
  const input = $('question') as HTMLInputElement;
  const text = input.value.trim();
  if (!text) return;
  input.value = '';
  // send resolves to chat.accepted (C4): the handler has stored the question by then.
  void client.send
    .chatSend({ conversation_id: 'demo', text })
    .then(() => questions.sync())
    .then(showQuestions)
    .catch(sendFailed);
};

showStatus();
