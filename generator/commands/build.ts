import { EXIT, EXIT_CODES_HELP, OUT_OPTION, SPEC_OPTION, type Command } from './command.js';
import { reportWarnings, throwFindings } from './report.js';

export const buildCommand: Command = {
  name: 'build',
  summary: 'generate types, validators, contract constants and the runtime from the spec',
  help: `Usage: contractgen build [--spec FILE] [--out DIR] [--quiet]

Checks the spec, then writes everything it generates into DIR. Files an earlier build
generated that this one no longer does are removed; other files in DIR are left alone.
Output is deterministic: the same spec gives the same bytes.

Options:
  --spec FILE   the contract (default: "spec" of contractgen.config.json, else spec/protocol.schema.json)
  --out DIR     where to write (default: the TypeScript target's "out", else generated)
  --quiet       print nothing on success

${EXIT_CODES_HELP}`,
  options: { ...SPEC_OPTION, ...OUT_OPTION, quiet: { type: 'boolean', default: false } },
  async run(values, _positionals, io) {
    const { build } = await import('../api.js');
    const result = await build({ spec: values.spec as string | undefined, out: values.out as string | undefined });
    if (!result.ok) throwFindings(result.findings);
    reportWarnings(result.findings, io);
    if (!values.quiet) {
      for (const t of result.targets) {
        io.out(`contractgen: ${t.files.length} files in ${t.out}/ (${t.written.length} written, ${t.unchanged.length} unchanged, ${t.removed.length} removed) from ${result.spec}\n`);
        for (const r of t.removed) io.out(`  removed ${r}\n`);
      }
    }
    return EXIT.ok;
  },
};
