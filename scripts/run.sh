#!/usr/bin/env bash
# Set up scgraph in a virtual environment (.venv) and build the graph into build/.
# Usage: bash scripts/run.sh [extra arguments for `scgraph build`]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
.venv/bin/scgraph build "$@"
