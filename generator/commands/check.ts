import { EXIT, EXIT_CODES_HELP, SPEC_OPTION, TARGET_HELP, TARGET_OPTIONS, type Command } from './command.js';
import { reportWarnings, throwFindings } from './report.js';

export const checkCommand: Command = {
  name: 'check',
  summary: 'fail when the generated files differ from a fresh build (for CI)',
  help: `Usage: contractgen check [--spec FILE] [--target T] [--out DIR]

Builds in memory and compares with DIR byte for byte. Lists every stale, missing or extra
generated file (extra: listed in DIR/.contractgen-manifest.json but no longer generated),
and every path build could not write (blocked: a file it did not generate, or a symbolic
link, is in the way), and exits 1 if there is any; writes nothing.

Options:
  --spec FILE   the contract (default: "spec" of contractgen.config.json, else spec/protocol.schema.json)
${TARGET_HELP}

${EXIT_CODES_HELP}`,
  options: { ...SPEC_OPTION, ...TARGET_OPTIONS },
  async run(values, _positionals, io) {
    const { check } = await import('../api.js');
    const result = await check({ spec: values.spec as string | undefined, out: values.out as string | undefined, target: values.target as string | undefined });
    if (result.targets === undefined) return throwFindings(result.findings);
    reportWarnings(result.findings, io);
    for (const t of result.targets) {
      if (t.drift.length === 0) {
        io.out(`contractgen: ${t.out}/ is fresh (${t.files.length} files match a fresh build)\n`);
        continue;
      }
      io.err(`contractgen: ${t.out}/ is stale: ${t.drift.length} file(s) differ from a fresh build\n`);
      for (const d of t.drift) {
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
      if (t.drift.some((d) => d.kind === 'blocked')) io.err('Move what is blocked out of the way first: build does not overwrite files it did not generate.\n');
      io.err(`Run \`contractgen build --spec ${result.spec}${t.language === 'typescript' ? '' : ` --target ${t.language}`} --out ${t.out}\` and commit the result.\n`);
    }
    return result.ok ? EXIT.ok : EXIT.failed;
  },
};
