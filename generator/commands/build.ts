import { EXIT, EXIT_CODES_HELP, OUT_OPTION, SPEC_OPTION, type Command } from './command.js';
import { reportWarnings } from './report.js';

export const buildCommand: Command = {
  name: 'build',
  summary: 'generate types, validators, contract constants and the runtime from the spec',
  help: `Usage: contractgen build [--spec FILE] [--out DIR] [--quiet]

Checks the spec, then writes everything it generates into DIR, with a manifest of it
(DIR/.contractgen-manifest.json). Files the manifest of the previous build lists that this
one no longer generates are removed if they are unchanged; nothing else in DIR is touched.
A file build did not generate, a folder or a symbolic link where it writes is an error
(exit 1, nothing written): move it, or choose another DIR. Without a manifest (output of an
older contractgen), files that carry contractgen's banner for this spec are taken over.
Output is deterministic: the same spec gives the same bytes.

Options:
  --spec FILE   the contract (default spec/protocol.schema.json)
  --out DIR     where to write (default generated)
  --quiet       print nothing on success

${EXIT_CODES_HELP}`,
  options: { ...SPEC_OPTION, ...OUT_OPTION, quiet: { type: 'boolean', default: false } },
  async run(values, _positionals, io) {
    // The ts-morph worker starts before anything heavy is imported, so the two overlap.
    const { workerRunner } = await import('../ts-morph-runner.js');
    const tsMorph = workerRunner();
    // generate() stops the worker when it is done; if loading fails first, stop it here (it would keep the process alive).
    const [{ generate }, { writeFiles }] = await Promise.all([import('../pipeline.js'), import('../writer.js')]).catch(async (error: unknown) => {
      await tsMorph.stop();
      throw error;
    });
    const spec = values.spec as string;
    const out = values.out as string;
    const result = await generate({ spec, out, tsMorph });
    reportWarnings(result.findings, io);
    const report = writeFiles(out, result.files, result.model.specLabel);
    if (!values.quiet) {
      io.out(`contractgen: ${result.files.length} files in ${out}/ (${report.written.length} written, ${report.unchanged.length} unchanged, ${report.removed.length} removed) from ${spec}\n`);
      for (const r of report.removed) io.out(`  removed ${r}\n`);
    }
    for (const k of report.kept) io.err(`contractgen: kept ${out}/${k.path}, no longer generated: ${k.reason}\n`);
    return EXIT.ok;
  },
};
