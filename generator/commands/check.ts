import { EXIT, EXIT_CODES_HELP, OUT_OPTION, SPEC_OPTION, type Command } from './command.js';
import { reportWarnings } from './report.js';

export const checkCommand: Command = {
  name: 'check',
  summary: 'fail when the generated files differ from a fresh build (for CI)',
  help: `Usage: contractgen check [--spec FILE] [--out DIR]

Builds in memory and compares with DIR byte for byte. Lists every stale, missing or extra
generated file (extra: listed in DIR/.contractgen-manifest.json but no longer generated),
and every path build could not write (blocked: a file it did not generate, or a symbolic
link, is in the way), and exits 1 if there is any; writes nothing.

Options:
  --spec FILE   the contract (default spec/protocol.schema.json)
  --out DIR     the committed output (default generated)

${EXIT_CODES_HELP}`,
  options: { ...SPEC_OPTION, ...OUT_OPTION },
  async run(values, _positionals, io) {
    // The ts-morph worker starts before anything heavy is imported, so the two overlap.
    const { workerRunner } = await import('../ts-morph-runner.js');
    const tsMorph = workerRunner();
    // generate() stops the worker when it is done; if loading fails first, stop it here (it would keep the process alive).
    const [{ generate }, { compareFiles }] = await Promise.all([import('../pipeline.js'), import('../writer.js')]).catch(async (error: unknown) => {
      await tsMorph.stop();
      throw error;
    });
    const out = values.out as string;
    const result = await generate({ spec: values.spec as string, out, tsMorph });
    reportWarnings(result.findings, io);
    const drift = compareFiles(out, result.files, result.model.specLabel);
    if (drift.length === 0) {
      io.out(`contractgen: ${out}/ is fresh (${result.files.length} files match a fresh build)\n`);
      return EXIT.ok;
    }
    io.err(`contractgen: ${out}/ is stale: ${drift.length} file(s) differ from a fresh build\n`);
    for (const d of drift) {
      const what =
        d.kind === 'stale'
          ? `stale    ${d.path} (first difference at line ${d.line})`
          : d.kind === 'missing'
            ? `missing  ${d.path}`
            : d.kind === 'extra'
              ? `extra    ${d.path} (no longer generated)`
              : `blocked  ${d.path} (${d.reason})`;
      io.err(`  ${what}\n`);
    }
    if (drift.some((d) => d.kind === 'blocked')) io.err('Move what is blocked out of the way first: build does not overwrite files it did not generate.\n');
    io.err(`Run \`contractgen build --spec ${values.spec as string} --out ${out}\` and commit the result.\n`);
    return EXIT.failed;
  },
};
