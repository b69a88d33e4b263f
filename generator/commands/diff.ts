import { ContractError, formatFindings } from '../diagnostics.js';
import { FAIL_ON, type FailOn } from '../diff/contract-diff.js';
import { REPORT_FORMATS, type ReportFormat } from '../diff/report.js';
import { semanticRules } from '../diff/semantics-diff.js';
import { EXIT, EXIT_CODES_HELP, type Command } from './command.js';

/** Word-wraps one help line at 94 columns, continuing with `indent`. */
function wrap(line: string, indent: string): string {
  const out: string[] = [];
  let current = '';
  for (const word of line.split(/(?<=\S) (?=\S)/)) {
    if (current && current.length + 1 + word.length > 94) {
      out.push(current);
      current = indent + word;
    } else current = current ? `${current} ${word}` : word;
  }
  return [...out, current].join('\n');
}

export const diffCommand: Command = {
  name: 'diff',
  summary: 'classify the changes between two versions of a contract and recommend a semver bump',
  help: `Usage: contractgen diff OLD NEW [--format text|markdown|json] [--fail-on breaking|additive|any|version]

Compares two contracts and classifies every change as breaking, additive or doc-only, with
the JSON pointer (in NEW, or in OLD for a removal), the message or history endpoint it
concerns and a one-line reason. Recommends the bump of x-contract.version — major if anything
breaks, minor if anything is added, patch for documentation only, none if identical — and
checks that the version moved that far. Only the JSON has to be valid: specs that fail lint
are diffed too.

OLD and NEW are spec files or git:REF:path (read with \`git show REF:path\` in the current
directory; the path is relative to the repository root, ./path to the current directory).
  contractgen diff git:origin/main:spec/protocol.schema.json spec/protocol.schema.json

Schema changes are judged per direction:
  client→server (messages clients send, history queries): the server validates with NEW
    what old clients send. Accepting more is additive (a new optional field, a new enum
    value, a loosened bound); accepting less is breaking (a new required field, a removed
    enum value, a tighter bound, a removed field when additionalProperties is false).
  server→client (messages servers send, history responses): old clients validate with OLD
    what the server sends. Sending less is additive (a removed optional field or enum
    value); anything OLD rejects is breaking (a new enum value, a removed required field, a
    new field when OLD has additionalProperties: false, a new message type).
  Removing a message is breaking either way; a changed pattern is breaking unless removed;
  $refs are compared structurally; description, title and examples are doc-only. A removed
  $defs entry is breaking: the generated type of that name disappears.

Protocol semantics (x-contract, x-message):
${semanticRules.map((r) => wrap(`  - ${r.sentence}`, '    ')).join('\n')}

Version check (x-contract.version, semver): breaking needs a major bump, additive a minor,
doc-only a patch. In 0.x each shifts one place right (breaking: 0.9.0 → 0.10.0; additive and
doc-only: at least a patch). Not bumped enough is a warning, or an error for breaking changes
(and for a version that goes backwards).

Options:
  --format FORMAT   text (default), markdown (a PR comment: summary line and one table) or json
                    ({ recommendedBump, versionCheck, counts, changes: [{ kind, code, pointer,
                    message?, messages?, endpoint?, direction?, reason, category }] }; one edit
                    to a shared schema is one change listing every message that uses it)
  --fail-on LEVEL   exit 1 when there is a change of at least this level:
                      breaking  any breaking change
                      additive  any breaking or additive change
                      any       any change, doc-only included
                      version   only when the version check warns or fails
                    A version-check error (breaking without its bump) fails every level.
                    Without --fail-on, diff exits 0 whatever it finds.

${EXIT_CODES_HELP}
  With --fail-on, 1 also means a change at or above that level was found.`,
  options: { format: { type: 'string', default: 'text' }, 'fail-on': { type: 'string' } },
  positionals: { min: 2, max: 2 },
  async run(values, positionals, io) {
    const format = values.format as string;
    if (!(REPORT_FORMATS as readonly string[]).includes(format)) {
      io.err(`contractgen diff: --format must be one of ${REPORT_FORMATS.join(', ')}, not ${format}\n`);
      return EXIT.usage;
    }
    const failOn = values['fail-on'] as string | undefined;
    if (failOn !== undefined && !(FAIL_ON as readonly string[]).includes(failOn)) {
      io.err(`contractgen diff: --fail-on must be one of ${FAIL_ON.join(', ')}, not ${failOn}\n`);
      return EXIT.usage;
    }
    const [{ readSource }, { diffContracts, fails }, { formatReport }] = await Promise.all([import('../diff/source.js'), import('../diff/contract-diff.js'), import('../diff/report.js')]);
    const [oldArg, newArg] = positionals as [string, string];
    const sides = [];
    for (const [label, arg] of [['OLD', oldArg], ['NEW', newArg]] as const) {
      try {
        sides.push(readSource(arg));
      } catch (err) {
        if (!(err instanceof ContractError)) throw err;
        io.err(`${formatFindings(err.findings)}\n`);
        io.err(`contractgen diff: cannot read ${label} (${arg}); nothing was compared\n`);
        return EXIT.failed;
      }
    }
    const result = diffContracts(sides[0]!, sides[1]!);
    io.out(formatReport(result, format as ReportFormat));
    return failOn !== undefined && fails(result, failOn as FailOn) ? EXIT.failed : EXIT.ok;
  },
};
