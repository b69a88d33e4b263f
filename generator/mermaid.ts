/**
 * A structural checker for the two kinds of Mermaid diagram the docs emit: `sequenceDiagram` and
 * `stateDiagram-v2`. Not Mermaid's parser: Mermaid's own grammars for these diagrams ship only
 * inside the `mermaid` package, which needs a DOM (DOMPurify) to parse a state diagram and pulls
 * in d3, cytoscape and katex; `@mermaid-js/parser` (the DOM-free one) has no grammar for either
 * kind. So this accepts a deliberately small subset, line by line, and is stricter than Mermaid
 * where Mermaid is silently lenient (an undeclared participant is a typo, not a new lane). The
 * tests run every emitted diagram, and mutations of them, through the real Mermaid grammar too
 * (tests/docs/mermaid-conformance.test.ts): whatever this accepts, Mermaid must accept.
 */

export type DiagramKind = 'sequence' | 'state';

export interface DiagramIssue {
  /** 1-based line inside the diagram source. */
  readonly line: number;
  readonly message: string;
}

export interface DiagramCheck {
  readonly kind?: DiagramKind;
  readonly issues: readonly DiagramIssue[];
}

export interface MermaidBlock {
  /** 1-based line of the first diagram line (after the opening fence) in the Markdown text. */
  readonly line: number;
  readonly source: string;
}

/** The ```mermaid fenced blocks of a Markdown text, in order. An unclosed fence runs to the end. */
export function mermaidBlocks(markdown: string): MermaidBlock[] {
  const lines = markdown.split('\n');
  const blocks: MermaidBlock[] = [];
  let fence: { marker: string; mermaid: boolean; start: number; body: string[] } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!fence) {
      const open = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(line);
      if (open) fence = { marker: open[1]!, mermaid: open[2] === 'mermaid', start: i + 2, body: [] };
      continue;
    }
    const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(line);
    if (close && close[1]![0] === fence.marker[0] && close[1]!.length >= fence.marker.length) {
      if (fence.mermaid) blocks.push({ line: fence.start, source: fence.body.join('\n') });
      fence = undefined;
      continue;
    }
    fence.body.push(line);
  }
  if (fence?.mermaid) blocks.push({ line: fence.start, source: fence.body.join('\n') });
  return blocks;
}

const ID = '[A-Za-z][A-Za-z0-9_]*';

/**
 * Free text on a line: Mermaid ends a statement at `;`, reads `#…;` as an entity code, and
 * treats `<…>` as HTML (sanitised or rendered), so none of them may appear — except as the
 * numeric entity codes (`#59;`) that escape.ts's mermaidText writes for them.
 */
function textProblem(text: string, what: string): string | undefined {
  if (text.trim() === '') return `${what} is empty`;
  const bad = /[;#<>]/.exec(text.replace(/#\d+;/g, ''));
  return bad ? `${what} contains "${bad[0]}", which Mermaid reads as syntax (";" ends a statement, "#" starts an entity, "<" and ">" are HTML)` : undefined;
}

/** Checks one diagram; the first non-blank, non-comment line names its kind. */
export function checkDiagram(source: string): DiagramCheck {
  const lines = source.split('\n');
  const start = lines.findIndex((l) => l.trim() !== '' && !l.trim().startsWith('%%'));
  if (start < 0) return { issues: [{ line: 1, message: 'the diagram is empty' }] };
  const header = lines[start]!.trim();
  const body = lines.slice(start + 1).map((text, i) => ({ text: text.trim(), line: start + i + 2 }));
  if (header === 'sequenceDiagram') return { kind: 'sequence', issues: checkSequence(body) };
  if (header === 'stateDiagram-v2' || header === 'stateDiagram') return { kind: 'state', issues: checkState(body) };
  return { issues: [{ line: start + 1, message: `"${header}" is not a diagram kind the docs use (sequenceDiagram, stateDiagram-v2)` }] };
}

interface Line {
  readonly text: string;
  readonly line: number;
}

const ARROWS = ['-->>', '->>', '-->', '->', '--x', '-x', '--)', '-)'];
const MESSAGE = new RegExp(`^(${ID})\\s*(${ARROWS.map((a) => a.replace(/[()]/g, '\\$&')).join('|')})\\s*([+-]?)(${ID})\\s*:(.*)$`);
const PARTICIPANT = new RegExp(`^(participant|actor)\\s+(${ID})(?:\\s+as\\s+(.+))?$`);
const NOTE = new RegExp(`^[Nn]ote\\s+(left of|right of|over)\\s+(${ID})(?:\\s*,\\s*(${ID}))?\\s*:(.*)$`);
const ACTIVATION = new RegExp(`^(activate|deactivate)\\s+(${ID})$`);
/** Block openers and the branch keywords each allows. */
const BLOCKS: Readonly<Record<string, readonly string[]>> = { loop: [], alt: ['else'], opt: [], par: ['and'], critical: ['option'], break: [], rect: [] };

function checkSequence(body: readonly Line[]): DiagramIssue[] {
  const issues: DiagramIssue[] = [];
  const participants = new Set<string>();
  const stack: { keyword: string; line: number }[] = [];
  let messages = 0;
  const known = (id: string, line: number): void => {
    if (!participants.has(id)) issues.push({ line, message: `"${id}" is not a declared participant (declare it with "participant ${id} as …" first)` });
  };
  const text = (value: string, what: string, line: number): void => {
    const problem = textProblem(value, what);
    if (problem) issues.push({ line, message: problem });
  };
  for (const { text: t, line } of body) {
    if (t === '' || t.startsWith('%%')) continue;
    if (t === 'autonumber') continue;
    let m: RegExpExecArray | null;
    if ((m = PARTICIPANT.exec(t))) {
      if (participants.has(m[2]!)) issues.push({ line, message: `participant "${m[2]}" is declared twice` });
      if (messages > 0) issues.push({ line, message: `participant "${m[2]}" is declared after the first message; declare every participant first` });
      participants.add(m[2]!);
      if (m[3] !== undefined) text(m[3], 'the participant alias', line);
      continue;
    }
    if ((m = MESSAGE.exec(t))) {
      known(m[1]!, line);
      known(m[4]!, line);
      text(m[5]!, 'the message text', line);
      messages++;
      continue;
    }
    if ((m = NOTE.exec(t))) {
      known(m[2]!, line);
      if (m[3] !== undefined) {
        known(m[3], line);
        if (m[1] !== 'over') issues.push({ line, message: `a note ${m[1]} takes one participant; "over" takes two` });
      }
      text(m[4]!, 'the note text', line);
      continue;
    }
    if ((m = ACTIVATION.exec(t))) {
      known(m[2]!, line);
      continue;
    }
    const word = /^(\w+)(?:\s+(.*))?$/.exec(t);
    const keyword = word?.[1];
    if (keyword !== undefined && Object.hasOwn(BLOCKS, keyword)) {
      if (word![2] !== undefined) text(word![2], `the ${keyword} label`, line);
      else if (keyword !== 'rect' && keyword !== 'loop') issues.push({ line, message: `"${keyword}" needs a label` });
      stack.push({ keyword, line });
      continue;
    }
    if (keyword === 'end' && word![2] === undefined) {
      if (!stack.pop()) issues.push({ line, message: '"end" closes no block' });
      continue;
    }
    if (keyword !== undefined && Object.values(BLOCKS).some((b) => b.includes(keyword))) {
      const open = stack[stack.length - 1];
      if (!open || !BLOCKS[open.keyword]!.includes(keyword)) issues.push({ line, message: `"${keyword}" is only allowed directly inside ${Object.keys(BLOCKS).find((k) => BLOCKS[k]!.includes(keyword))}` });
      if (word![2] !== undefined) text(word![2], `the ${keyword} label`, line);
      continue;
    }
    issues.push({ line, message: `not a sequence diagram statement this checker knows: "${t}" (participant, A->>B: text, Note over A: text, alt/else/opt/loop/par/rect … end)` });
  }
  for (const open of stack) issues.push({ line: open.line, message: `"${open.keyword}" is never closed with "end"` });
  if (messages === 0) issues.push({ line: 1, message: 'the sequence diagram has no message' });
  return issues;
}

const STATE = `\\[\\*\\]|${ID}`;
const TRANSITION = new RegExp(`^(${STATE})\\s*-->\\s*(${STATE})(?:\\s*:(.*))?$`);
const STATE_ALIAS = new RegExp(`^state\\s+"([^"]*)"\\s+as\\s+(${ID})$`);
const STATE_DESCRIPTION = new RegExp(`^(${ID})\\s*:(.*)$`);
const STATE_NOTE = new RegExp(`^note\\s+(left|right)\\s+of\\s+(${ID})(?:\\s*:(.*))?$`);

/** State labels also end at ":" (the grammar reads the rest of the line up to ":" or ";"). */
function labelProblem(text: string, what: string): string | undefined {
  return textProblem(text, what) ?? (text.includes(':') ? `${what} contains ":", which ends a state label` : /[{}]/.test(text) ? `${what} contains a brace, which opens or closes a composite state` : undefined);
}

function checkState(body: readonly Line[]): DiagramIssue[] {
  const issues: DiagramIssue[] = [];
  const declared = new Set<string>();
  const used = new Set<string>();
  const notes: { id: string; line: number }[] = [];
  let transitions = 0;
  let starts = 0;
  let note: { line: number; lines: number } | undefined;
  const label = (value: string, what: string, line: number): void => {
    const problem = labelProblem(value, what);
    if (problem) issues.push({ line, message: problem });
  };
  for (const { text: t, line } of body) {
    if (note) {
      if (t === 'end note') {
        if (note.lines === 0) issues.push({ line: note.line, message: 'the note is empty' });
        note = undefined;
      } else {
        note.lines++;
        const problem = textProblem(t || '.', 'the note text');
        if (problem) issues.push({ line, message: problem });
      }
      continue;
    }
    if (t === '' || t.startsWith('%%')) continue;
    let m: RegExpExecArray | null;
    if (/^direction\s+(LR|RL|TB|BT)$/.test(t)) continue;
    if ((m = TRANSITION.exec(t))) {
      transitions++;
      if (m[1] === '[*]') starts++;
      if (m[1] === '[*]' && m[2] === '[*]') issues.push({ line, message: 'a transition from [*] to [*] means nothing' });
      for (const id of [m[1]!, m[2]!]) if (id !== '[*]') used.add(id);
      if (m[3] !== undefined) label(m[3], 'the transition label', line);
      continue;
    }
    if ((m = STATE_ALIAS.exec(t))) {
      if (declared.has(m[2]!)) issues.push({ line, message: `state "${m[2]}" is declared twice` });
      declared.add(m[2]!);
      label(m[1]!, 'the state description', line);
      continue;
    }
    if ((m = STATE_NOTE.exec(t))) {
      notes.push({ id: m[2]!, line });
      if (m[3] !== undefined) {
        const problem = textProblem(m[3], 'the note text');
        if (problem) issues.push({ line, message: problem });
      } else note = { line, lines: 0 };
      continue;
    }
    if (/^state\s/.test(t)) {
      issues.push({ line, message: `composite states and other "state" forms are not used by the docs: "${t}"` });
      continue;
    }
    if ((m = STATE_DESCRIPTION.exec(t))) {
      declared.add(m[1]!);
      label(m[2]!, 'the state description', line);
      continue;
    }
    issues.push({ line, message: `not a state diagram statement this checker knows: "${t}" ([*] --> A, A --> B: label, state "text" as A, note right of A: text)` });
  }
  if (note) issues.push({ line: note.line, message: 'the note is never closed with "end note"' });
  for (const n of notes) if (!used.has(n.id) && !declared.has(n.id)) issues.push({ line: n.line, message: `the note is attached to "${n.id}", which is not a state of the diagram` });
  for (const id of declared) if (!used.has(id)) issues.push({ line: 1, message: `state "${id}" is declared but no transition reaches or leaves it` });
  if (transitions === 0) issues.push({ line: 1, message: 'the state diagram has no transition' });
  else if (starts === 0) issues.push({ line: 1, message: 'the state diagram has no start transition ([*] --> …)' });
  return issues;
}
