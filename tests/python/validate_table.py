"""Reads a JSON list of ``{"validator": "<name>", "value": …}`` on stdin and prints, for each, the
verdict of the generated Python validator of that name (generated-py/agent_ui/validators.py) and
its first issue: ``{"ok": bool, "path": str, "keyword": str, "message": str}``. The differential
test (validators.test.ts) feeds the same table to the TypeScript validators."""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "generated-py"))

from agent_ui import validators  # noqa: E402
from agent_ui.runtime.validation import Invalid, Validator  # noqa: E402


def main() -> None:
    table = json.loads(sys.stdin.read())
    out = []
    for row in table:
        validator = getattr(validators, row["validator"])
        assert isinstance(validator, Validator)
        result = validator(row["value"])
        if isinstance(result, Invalid):
            issue = result.issues[0]
            out.append({"ok": False, "path": issue.path, "keyword": issue.keyword, "message": issue.message})
        else:
            out.append({"ok": True})
    sys.stdout.write(json.dumps(out))


if __name__ == "__main__":
    main()
