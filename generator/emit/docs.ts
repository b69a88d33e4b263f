/**
 * Emitter — `docs/*.md`: the contract note, the three scope docs (backend runtime, frontend
 * runtime, protocol schema) that reviewers read in a PR, and the normative wire document. All
 * prose is in templates/docs/*.hbs; the view they read is docs-view.ts, the helpers doc-helpers.ts.
 * The verify stage checks their diagrams (verify.ts).
 */
import { docsView, traceView } from '../docs-view.js';
import { templates, tidy, type Render } from '../doc-helpers.js';
import { banner, textFile, type GeneratedFile } from '../files.js';
import type { ContractModel } from '../model.js';
import type { EmitContext } from '../emitters.js';
import type { ResolvedTraceRow } from '../trace-resolve.js';
import type { TraceDoc } from '../trace.js';

/** The docs, in the order they are listed: file name, template, banner purpose, trace rows. */
export const DOCS: readonly { readonly file: string; readonly template: string; readonly purpose: string; readonly trace?: TraceDoc }[] = [
  { file: 'protocol-contract.md', template: 'protocol-contract.md.hbs', purpose: 'Contract note: session identity, seq stamping, resume and history, the same on every transport.' },
  { file: 'backend-runtime.md', template: 'backend-runtime.md.hbs', purpose: 'Scope doc: the backend runtime and the generated server.', trace: 'backend' },
  { file: 'frontend-runtime.md', template: 'frontend-runtime.md.hbs', purpose: 'Scope doc: what a frontend client must do, and what generated code holds it to.', trace: 'frontend' },
  { file: 'protocol-schema.md', template: 'protocol-schema.md.hbs', purpose: 'Scope doc: the protocol schema, its messages and the generated types and validators.', trace: 'schema' },
  { file: 'wire.md', template: 'wire.md.hbs', purpose: 'Normative wire document: every endpoint, frame, refusal and close code, each statement numbered and tied to a rule.' },
];

/** Renders every doc with the given templates (by file name). */
export function renderDocs(model: ContractModel, trace: readonly ResolvedTraceRow[], render: ReadonlyMap<string, Render>): GeneratedFile[] {
  const view = docsView(model);
  const traces = { backend: traceView(trace, 'backend'), frontend: traceView(trace, 'frontend'), schema: traceView(trace, 'schema') };
  return DOCS.map((doc) => {
    const body = render.get(doc.template)!({ ...view, traces, trace: doc.trace ? traces[doc.trace] : undefined, doc: doc.file });
    return textFile(`docs/${doc.file}`, tidy(`${banner(model, doc.purpose, 'html')}\n${body}`));
  });
}

export async function emitDocs(model: ContractModel, context: EmitContext): Promise<GeneratedFile[]> {
  return renderDocs(model, context.trace, await templates());
}
