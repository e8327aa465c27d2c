#!/usr/bin/env bash
# Runs the default study (or reuses its finished results) and writes its scorecard into the
# README's "What the default study finds" section, between the default-findings markers.
#   usage: scripts/default-findings.sh [OUT (default studies-out/default)]
# Time the study alone (nothing else running) for the figure the README quotes.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-studies-out/default}"
bash scripts/install-deps.sh
bash scripts/install-data.sh
swift build -c release --product transferscope
T=.build/release/transferscope
$T study run studies/default.yaml --out "$out"
table="$(mktemp)"
trap 'rm -f "$table"' EXIT
$T study report studies/default.yaml --out "$out" --markdown > "$table"
python3 - "$table" <<'PY'
import re, sys
table = open(sys.argv[1]).read()
readme = open("README.md").read()
start, end = "<!-- default-findings:start -->", "<!-- default-findings:end -->"
if start not in readme or end not in readme:
    sys.exit("README.md has no default-findings markers")
before, rest = readme.split(start, 1)
_, after = rest.split(end, 1)
open("README.md.tmp", "w").write(before + start + "\n" + table + end + after)
PY
mv README.md.tmp README.md
echo "README.md: the default study's scorecard from $out/results.json"
