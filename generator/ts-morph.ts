/**
 * ts-morph, loaded with require(): importing a large CommonJS module from ESM makes Node scan
 * its source for export names first, which costs ~100 ms for ts-morph. Every value from
 * ts-morph is taken from here; type-only imports from 'ts-morph' are fine anywhere.
 */
import { createRequire } from 'node:module';

const tsMorph = createRequire(import.meta.url)('ts-morph') as typeof import('ts-morph');

export const { Project, IndentationText, NewLineKind, QuoteKind, StructureKind, VariableDeclarationKind, Writers, ts } = tsMorph;
