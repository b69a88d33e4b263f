import { EXIT, EXIT_CODES_HELP, OUT_OPTION, SPEC_OPTION, type Command } from './command.js';
import { reportWarnings, throwFindings } from './report.js';

export const checkCommand: Command = {
  name: 'check',
  summary: 'fail when the generated files differ from a fresh build (for CI)',
  help: `Usage: contractgen check [--spec FILE] [--out DIR]

Builds in memory and compares with DIR byte for byte. Lists every stale, missing or extra
generated file and exits 1 if there is any; writes nothing.

Options:
  --spec FILE   the contract (default: "spec" of contractgen.config.json, else spec/protocol.schema.json)
  --out DIR     the committed output (default: the TypeScript target's "out", else generated)

${EXIT_CODES_HELP}`,
  options: { ...SPEC_OPTION, ...OUT_OPTION },
  async run(values, _positionals, io) {
    const { check } = await import('../api.js');
    const result = await check({ spec: values.spec as string | undefined, out: values.out as string | undefined });
    if (result.targets === undefined) return throwFindings(result.findings);
    reportWarnings(result.findings, io);
    for (const t of result.targets) {
      if (t.drift.length === 0) {
        io.out(`contractgen: ${t.out}/ is fresh (${t.files.length} files match a fresh build)\n`);
        continue;
      }
      io.err(`contractgen: ${t.out}/ is stale: ${t.drift.length} file(s) differ from a fresh build\n`);
      for (const d of t.drift) {
        const what = d.kind === 'stale' ? `stale    ${d.path} (first difference at line ${d.line})` : d.kind === 'missing' ? `missing  ${d.path}` : `extra    ${d.path} (no longer generated)`;
        io.err(`  ${what}\n`);
      }
      io.err(`Run \`contractgen build --spec ${result.spec} --out ${t.out}\` and commit the result.\n`);
    }
    return result.ok ? EXIT.ok : EXIT.failed;
  },
};
