import { ContractError, formatFindings, hasErrors, type Finding } from '../diagnostics.js';
import { EXIT, EXIT_CODES_HELP, SPEC_OPTION, type Command } from './command.js';

export const lintCommand: Command = {
  name: 'lint',
  summary: 'check the spec against JSON Schema 2020-12, the vocabulary and the protocol rules',
  help: `Usage: contractgen lint [--spec FILE] [--format text|json] [--strict] [--rules]

Reports every finding with file:line:column, the JSON pointer, the rule it protects and how
to fix it. Warnings do not fail unless --strict.

Options:
  --spec FILE      the contract (default spec/protocol.schema.json)
  --format FORMAT  text (default) or json
  --strict         treat warnings as errors
  --rules          list the rules and exit

${EXIT_CODES_HELP}`,
  options: { ...SPEC_OPTION, format: { type: 'string', default: 'text' }, strict: { type: 'boolean', default: false }, rules: { type: 'boolean', default: false } },
  async run(values, _positionals, io) {
    const [{ check }, { load }, { rules }] = await Promise.all([import('../checker.js'), import('../loader.js'), import('../rules/index.js')]);
    if (values.rules) {
      for (const r of rules) io.out(`${r.id.padEnd(34)} ${(r.rule ?? '').padEnd(3)} ${r.sentence}\n`);
      return EXIT.ok;
    }
    if (values.format !== 'text' && values.format !== 'json') {
      io.err(`contractgen lint: --format must be text or json, not ${String(values.format)}\n`);
      return EXIT.usage;
    }
    let findings: readonly Finding[];
    try {
      findings = check(load(values.spec as string));
    } catch (err) {
      if (!(err instanceof ContractError)) throw err;
      findings = err.findings; // unreadable file or JSON syntax error: report it like any finding
    }
    const failed = values.strict ? findings.length > 0 : hasErrors(findings);
    if (values.format === 'json') io.out(JSON.stringify({ ok: !failed, findings }, null, 2) + '\n');
    else if (findings.length === 0) io.out(`contractgen: ${values.spec as string} is clean (${rules.length} rules)\n`);
    else io.err(formatFindings(findings) + '\n');
    return failed ? EXIT.failed : EXIT.ok;
  },
};
