"""Reads every .py file of a generated package (argv[1]: the output folder) as the build test
asks: parses each one, lists imports and calls of ``system``, and collects every docstring and
string constant, then imports the package. Prints one JSON report."""

from __future__ import annotations

import ast
import importlib
import json
import os
import sys


def main(out: str, package: str) -> None:
    imports: set[str] = set()
    calls: list[str] = []
    strings: list[str] = []
    for folder, _, files in os.walk(os.path.join(out, package)):
        for name in files:
            if not name.endswith(".py"):
                continue
            tree = ast.parse(open(os.path.join(folder, name), encoding="utf-8").read())
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    imports.update(a.name for a in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    imports.add(node.module)
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "system":
                    calls.append(ast.unparse(node))
                elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                    strings.append(node.value)
    sys.path.insert(0, out)
    importlib.import_module(package)
    importlib.import_module(f"{package}.server")
    print(json.dumps({"imports": sorted(imports), "calls": calls, "strings": strings}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
