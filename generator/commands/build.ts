import { EXIT, EXIT_CODES_HELP, SPEC_OPTION, TARGET_HELP, TARGET_OPTIONS, targetOf, type Command } from './command.js';
import { reportWarnings } from './report.js';

export const buildCommand: Command = {
  name: 'build',
  summary: 'generate types, validators, contract constants and the runtime from the spec',
  help: `Usage: contractgen build [--spec FILE] [--target T] [--out DIR] [--quiet]

Checks the spec, then writes everything it generates into DIR. Files an earlier build
generated that this one no longer does are removed; other files in DIR are left alone.
Output is deterministic: the same spec gives the same bytes.

Options:
  --spec FILE   the contract (default spec/protocol.schema.json)
${TARGET_HELP}
  --quiet       print nothing on success

${EXIT_CODES_HELP}`,
  options: { ...SPEC_OPTION, ...TARGET_OPTIONS, quiet: { type: 'boolean', default: false } },
  async run(values, _positionals, io) {
    const chosen = targetOf(values);
    if ('error' in chosen) {
      io.err(`contractgen build: ${chosen.error}\n`);
      return EXIT.usage;
    }
    const { out } = chosen;
    const spec = values.spec as string;
    const [{ generateTarget }, { writeFiles }] = await Promise.all([import('./generate-target.js'), import('../writer.js')]);
    const result = await generateTarget(chosen.target, spec, out);
    reportWarnings(result.findings, io);
    const report = writeFiles(out, result.files);
    if (!values.quiet) {
      io.out(`contractgen: ${result.files.length} files in ${out}/ (${report.written.length} written, ${report.unchanged.length} unchanged, ${report.removed.length} removed) from ${spec}\n`);
      for (const r of report.removed) io.out(`  removed ${r}\n`);
    }
    return EXIT.ok;
  },
};
