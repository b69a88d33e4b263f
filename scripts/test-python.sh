#!/usr/bin/env bash
# The Python side of `npm test`: installs the pinned Python dependencies into .venv (idempotent),
# runs the runtime's pytest suites, and type-checks the runtime, the generated package and the
# Python test apps with mypy --strict. The probe against uvicorn and the differential validation
# test run in vitest (tests/python/).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-python.sh
PY=.venv/bin/python

echo "pytest: runtime-py"
(cd runtime-py && "../$PY" -m pytest -q -p no:cacheprovider)

echo "mypy --strict: runtime, generated-py, tests/python"
"$PY" -m mypy --strict --no-incremental runtime-py/contractgen_runtime
(cd generated-py && "../$PY" -m mypy --strict --no-incremental agent_ui)
MYPYPATH=generated-py "$PY" -m mypy --strict --no-incremental tests/python/*.py bench/python/*.py
