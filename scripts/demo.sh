#!/usr/bin/env bash
# Create a virtual environment, install safeguarding-kg, and build the bundled sample corpus into ./out.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q .
.venv/bin/kg build --out out "$@"
