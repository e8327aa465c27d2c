#!/usr/bin/env bash
# The main job: installs what is missing, builds in release mode, prepares the built-in data,
# runs the `quick` study (pre-train on fashion-mnist, P-T vs RI-T with 2 seeds, every analysis)
# and prints where the report is. Started again, it reuses everything already done.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/install-data.sh
swift build -c release --product transferscope
.build/release/transferscope study run studies/quick.yaml --out studies-out/quick
echo "open studies-out/quick/report.html in a browser (results.json beside it holds every number)"
