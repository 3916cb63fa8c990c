#!/usr/bin/env bash
# Set up scgraph with its test dependencies in .venv and run the whole test suite.
# Usage: bash scripts/test.sh [extra arguments for pytest]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
# System tools the tests use (the release dumps are checked with rapper from raptor2; the
# question page is driven in Debian's chromium; the catalogue's queries are parsed by Apache
# Jena's strict SPARQL 1.1 parser; the ontology's OWL 2 DL profile is checked with the OWL API;
# scgraph runs on a private Virtuoso, the engine of the EU's own CORDIS graph):
# installed with apt-get when missing and root.
missing=()
command -v rapper >/dev/null 2>&1 || missing+=(raptor2-utils)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -f /usr/share/java/jena-arq.jar ] || missing+=(libapache-jena-java)
[ -f /usr/share/java/owlapi-api.jar ] || missing+=(libowlapi-java)
command -v virtuoso-t >/dev/null 2>&1 || missing+=(virtuoso-opensource)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null) \
      || echo "scripts/test.sh: could not install ${missing[*]}; the tests that need them are skipped" >&2
  else
    echo "scripts/test.sh: ${missing[*]} missing and not root; the tests that need them are skipped" >&2
  fi
fi
# The type-check gate: mypy must report no error that scripts/mypy_baseline.txt does not hold
# (a few seconds, under a second with its cache). The tests run either way; the script fails
# when either does.
gate=0
.venv/bin/python scripts/mypy_gate.py || gate=$?
# One worker per core (SCGRAPH_TEST_WORKERS to change it, 0 for none); each test file runs
# whole on one worker, so a module's fixtures are built once. The quick loop leaves out the
# tests marked slow: bash scripts/test.sh -m "not slow". Files are handed out in the order
# tests/conftest.py collects them (the longest first, LONGEST_FIRST), not by their number of
# tests as xdist would (--no-loadscope-reorder).
tests=0
.venv/bin/python -m pytest -n "${SCGRAPH_TEST_WORKERS:-auto}" --dist loadfile --no-loadscope-reorder "$@" || tests=$?
if [ "$gate" -ne 0 ]; then
  echo "scripts/test.sh: the mypy gate failed (scripts/mypy_gate.py, above)" >&2
fi
if [ "$tests" -ne 0 ]; then exit "$tests"; fi
exit "$gate"
