/**
 * Emitter — `types.ts`, step 2 (with ts-morph): the declarations from step 1
 * (types-source.ts, run on the main thread) tidied and formatted like every other file.
 */
import type { Project, ts as TS } from 'ts-morph';
import type { EmitInputs } from '../emitters.js';
import { banner, textFile, type GeneratedFile } from '../files.js';
import type { ContractModel } from '../model.js';
import { formattedText } from '../printer.js';
import { ts } from '../ts-morph.js';

/** Step 2 (with ts-morph): tidy and format the declarations into `types.ts`. */
export function emitTypes(model: ContractModel, project: Project, inputs: EmitInputs): GeneratedFile[] {
  const code = inputs.typesSource;
  const source = project.createSourceFile('/out/types.ts', unwrapTopLevelParentheses(code), { overwrite: true });
  return [textFile('types.ts', banner(model, 'Types of every message and schema of the contract.', 'line') + '\n' + formattedText(source).trim())];
}

/**
 * json-schema-to-typescript wraps every union in parentheses and leaves their removal to a
 * formatter; where the union is the whole type of an alias or a property they are redundant.
 * Edits are computed on a plain TypeScript syntax tree and applied to the text in one pass.
 */
function unwrapTopLevelParentheses(code: string): string {
  const file = ts.createSourceFile('types.ts', code, ts.ScriptTarget.Latest, true);
  const edits: { start: number; end: number; text: string }[] = [];
  const visit = (node: TS.Node): void => {
    if (ts.isParenthesizedTypeNode(node) && (ts.isTypeAliasDeclaration(node.parent) || ts.isPropertySignature(node.parent))) {
      edits.push({ start: node.getStart(file), end: node.getEnd(), text: node.type.getText(file) });
      return; // an inner parenthesis is inside the replaced text; it stays
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  let text = code;
  for (const e of edits.sort((a, b) => b.start - a.start)) text = text.slice(0, e.start) + e.text + text.slice(e.end);
  return text;
}
