import { formatFindings } from '../diagnostics.js';
import { EXIT, EXIT_CODES_HELP, SPEC_OPTION, type Command } from './command.js';

export const lintCommand: Command = {
  name: 'lint',
  summary: 'check the spec against JSON Schema 2020-12, the vocabulary and the protocol rules',
  help: `Usage: contractgen lint [--spec FILE] [--format text|json] [--strict] [--rules]

Reports every finding with file:line:column, the JSON pointer, the rule it protects and how
to fix it, all in one run. Warnings do not fail unless --strict. Each finding's [code] is
listed by --rules with the sentence it checks.

Options:
  --spec FILE      the contract (default: "spec" of contractgen.config.json, else spec/protocol.schema.json)
  --format FORMAT  text (default) or json
  --strict         treat warnings as errors
  --rules          list every finding code with what it checks, and exit

${EXIT_CODES_HELP}`,
  options: { ...SPEC_OPTION, format: { type: 'string', default: 'text' }, strict: { type: 'boolean', default: false }, rules: { type: 'boolean', default: false } },
  async run(values, _positionals, io) {
    if (values.rules) {
      const { findingCodes } = await import('../finding-codes.js');
      for (const r of findingCodes()) io.out(`${r.id.padEnd(34)} ${(r.rule ?? '').padEnd(3)} ${r.sentence}\n`);
      return EXIT.ok;
    }
    if (values.format !== 'text' && values.format !== 'json') {
      io.err(`contractgen lint: --format must be text or json, not ${String(values.format)}\n`);
      return EXIT.usage;
    }
    const [{ lint }, { rules }] = await Promise.all([import('../api.js'), import('../rules/index.js')]);
    const result = await lint({ spec: values.spec as string | undefined, strict: values.strict as boolean });
    if (values.format === 'json') io.out(JSON.stringify({ ok: result.ok, findings: result.findings }, null, 2) + '\n');
    else if (result.findings.length === 0) io.out(`contractgen: ${result.spec} is clean (${rules.length} rules)\n`);
    else io.err(formatFindings(result.findings) + '\n');
    return result.ok ? EXIT.ok : EXIT.failed;
  },
};
