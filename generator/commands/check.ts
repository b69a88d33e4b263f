import { EXIT, EXIT_CODES_HELP, SPEC_OPTION, TARGET_HELP, TARGET_OPTIONS, targetOf, type Command } from './command.js';
import { reportWarnings } from './report.js';

export const checkCommand: Command = {
  name: 'check',
  summary: 'fail when the generated files differ from a fresh build (for CI)',
  help: `Usage: contractgen check [--spec FILE] [--target T] [--out DIR]

Builds in memory and compares with DIR byte for byte. Lists every stale, missing or extra
generated file and exits 1 if there is any; writes nothing.

Options:
  --spec FILE   the contract (default spec/protocol.schema.json)
${TARGET_HELP}

${EXIT_CODES_HELP}`,
  options: { ...SPEC_OPTION, ...TARGET_OPTIONS },
  async run(values, _positionals, io) {
    const chosen = targetOf(values);
    if ('error' in chosen) {
      io.err(`contractgen check: ${chosen.error}\n`);
      return EXIT.usage;
    }
    const { out } = chosen;
    const [{ generateTarget }, { compareFiles }] = await Promise.all([import('./generate-target.js'), import('../writer.js')]);
    const result = await generateTarget(chosen.target, values.spec as string, out);
    reportWarnings(result.findings, io);
    const drift = compareFiles(out, result.files);
    if (drift.length === 0) {
      io.out(`contractgen: ${out}/ is fresh (${result.files.length} files match a fresh build)\n`);
      return EXIT.ok;
    }
    io.err(`contractgen: ${out}/ is stale: ${drift.length} file(s) differ from a fresh build\n`);
    for (const d of drift) {
      const what = d.kind === 'stale' ? `stale    ${d.path} (first difference at line ${d.line})` : d.kind === 'missing' ? `missing  ${d.path}` : `extra    ${d.path} (no longer generated)`;
      io.err(`  ${what}\n`);
    }
    io.err(`Run \`contractgen build --spec ${values.spec as string}${chosen.target === 'python' ? ' --target python' : ''} --out ${out}\` and commit the result.\n`);
    return EXIT.failed;
  },
};
