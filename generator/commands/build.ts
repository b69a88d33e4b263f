import { EXIT, EXIT_CODES_HELP, SPEC_OPTION, TARGET_HELP, TARGET_OPTIONS, type Command } from './command.js';
import { reportWarnings, throwFindings } from './report.js';

export const buildCommand: Command = {
  name: 'build',
  summary: 'generate types, validators, contract constants and the runtime from the spec',
  help: `Usage: contractgen build [--spec FILE] [--target T] [--out DIR] [--quiet]

Checks the spec, then writes everything it generates into DIR, with a manifest of it
(DIR/.contractgen-manifest.json). Files the manifest of the previous build lists that this
one no longer generates are removed if they are unchanged; nothing else in DIR is touched.
A file build did not generate, a folder or a symbolic link where it writes is an error
(exit 1, nothing written): move it, or choose another DIR. Without a manifest (output of an
older contractgen), files that carry contractgen's banner for this spec are taken over.
Output is deterministic: the same spec gives the same bytes.

Options:
  --spec FILE   the contract (default: "spec" of contractgen.config.json, else spec/protocol.schema.json)
${TARGET_HELP}
  --quiet       print nothing on success

${EXIT_CODES_HELP}`,
  options: { ...SPEC_OPTION, ...TARGET_OPTIONS, quiet: { type: 'boolean', default: false } },
  async run(values, _positionals, io) {
    const { build } = await import('../api.js');
    const result = await build({ spec: values.spec as string | undefined, out: values.out as string | undefined, target: values.target as string | undefined });
    if (!result.ok) {
      if (result.reason === 'output-in-the-way') throw new (await import('../writer.js')).OutputConflictError(result.findings);
      throwFindings(result.findings);
    }
    reportWarnings(result.findings, io);
    if (!values.quiet) {
      for (const t of result.targets) {
        io.out(`contractgen: ${t.files.length} files in ${t.out}/ (${t.written.length} written, ${t.unchanged.length} unchanged, ${t.removed.length} removed) from ${result.spec}\n`);
        for (const r of t.removed) io.out(`  removed ${r}\n`);
      }
    }
    for (const t of result.targets) for (const k of t.kept) io.err(`contractgen: kept ${t.out}/${k.path}, no longer generated: ${k.reason}\n`);
    return EXIT.ok;
  },
};
