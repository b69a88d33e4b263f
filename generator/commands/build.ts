import type { BuildResult } from '../api.js';
import { formatFindings } from '../diagnostics.js';
import { EXIT, EXIT_CODES_HELP, SPEC_OPTION, TARGET_HELP, TARGET_OPTIONS, type Command, type Io, type Values } from './command.js';
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
  --watch       build, then build again on every change of the spec file or of the
                settings file until Ctrl-C; a build with errors (or wrong settings) prints
                them and the watch goes on

${EXIT_CODES_HELP}`,
  options: { ...SPEC_OPTION, ...TARGET_OPTIONS, quiet: { type: 'boolean', default: false }, watch: { type: 'boolean', default: false } },
  async run(values, _positionals, io) {
    if (values.watch) return watchBuilds(values, io);
    const { build } = await import('../api.js');
    const result = await build(outputOptions(values));
    if (!result.ok) {
      if (result.reason === 'output-in-the-way') throw new (await import('../writer.js')).OutputConflictError(result.findings);
      throwFindings(result.findings);
    }
    reportBuilt(result, values, io);
    return EXIT.ok;
  },
};

const outputOptions = (values: Values) => ({ spec: values.spec as string | undefined, out: values.out as string | undefined, target: values.target as string | undefined });

function reportBuilt(result: Extract<BuildResult, { ok: true }>, values: Values, io: Io, ms?: number): void {
  reportWarnings(result.findings, io);
  if (!values.quiet) {
    for (const t of result.targets) {
      io.out(`contractgen: ${t.files.length} files in ${t.out}/ (${t.written.length} written, ${t.unchanged.length} unchanged, ${t.removed.length} removed) from ${result.spec}${ms === undefined ? '' : ` in ${Math.round(ms)} ms`}\n`);
      for (const r of t.removed) io.out(`  removed ${r}\n`);
    }
  }
  for (const t of result.targets) for (const k of t.kept) io.err(`contractgen: kept ${t.out}/${k.path}, no longer generated: ${k.reason}\n`);
}

/** `--watch`: every build is reported like a single one, but errors do not end the command; Ctrl-C does. */
async function watchBuilds(values: Values, io: Io): Promise<number> {
  const { watch } = await import('../api.js');
  let spec = values.spec as string | undefined;
  const watcher = await watch({
    ...outputOptions(values),
    onBuild(result, ms) {
      spec = result.spec;
      if (result.ok) return reportBuilt(result, values, io, ms);
      const errors = result.findings.filter((f) => f.severity === 'error');
      const what = result.reason === 'output-in-the-way' ? `${errors.length} file(s) in the output folder are in the way` : `the contract has ${errors.length} error(s)`;
      io.err(`${formatFindings(errors)}\ncontractgen build: ${what}; nothing was written; watching for the next change\n`);
    },
    onError(error) {
      if ((error as Error).name === 'ConfigError') return io.err(`${(error as Error).message}\ncontractgen build: the settings are wrong; nothing was built; watching for the next change\n`);
      io.err(`contractgen build: internal error: ${((error as Error).stack ?? String(error)).slice(0, 4000)}\nThis is a bug in contractgen; watching for the next change\n`);
    },
  });
  io.out(`contractgen: watching ${spec ?? 'the spec'} for changes (Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await watcher.close();
  return EXIT.ok;
}
