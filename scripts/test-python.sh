#!/usr/bin/env bash
# The Python side of `npm test`: installs the pinned Python dependencies into .venv (idempotent),
# runs the runtime's pytest suites, and type-checks the runtime, the generated package and the
# Python test apps with mypy --strict. The probe against uvicorn and the differential validation
# test run in vitest (tests/python/).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-python.sh
PY=.venv/bin/python
# No caches or bytecode inside generated-py/ or runtime-py/ (the build owns generated-py/).
export PYTHONDONTWRITEBYTECODE=1 HYPOTHESIS_STORAGE_DIRECTORY=/tmp/contractgen-hypothesis
MYPY=(-m mypy --strict --no-incremental --cache-dir=/dev/null)

echo "pytest: runtime-py"
(cd runtime-py && "../$PY" -m pytest -q -p no:cacheprovider)

echo "mypy --strict: runtime, generated-py, tests/python"
"$PY" "${MYPY[@]}" runtime-py/contractgen_runtime
(cd generated-py && "../$PY" "${MYPY[@]}" agent_ui)
MYPYPATH=generated-py "$PY" "${MYPY[@]}" tests/python/*.py bench/python/*.py
