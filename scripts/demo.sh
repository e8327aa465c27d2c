#!/usr/bin/env bash
# The main job, small: installs what is missing, builds, pre-trains a resnet20 on (a part of)
# fashion-mnist, then fine-tunes it on sketch-digits (P-T) beside a from-scratch run (RI-T)
# with the same inputs, and prints both accuracies. About 5 minutes on 2 cores.
# Runs land in runs/demo; started again, finished runs are skipped and killed ones resume.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/install-data.sh
swift build -c release --product transferscope
ts=.build/release/transferscope
out=runs/demo
target=sketch-digits

$ts train --data fashion-mnist --subsample 12000 --model resnet20 --epochs 3 --checkpoint-epochs all --out $out/P
# P-T: all but the head from P, smaller learning rate (as the paper's code). RI-T: same inputs, from scratch.
$ts train --data $target --init $out/P/final.safetensors --lr 0.02 --epochs 3 --no-flip --out $out/PT
$ts train --data $target --normalization $out/P/final.safetensors --size 28 --channels 1 --lr 0.1 --epochs 3 --no-flip --out $out/RIT
echo
for run in P PT RIT; do
    python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(f'{sys.argv[2]:>4}: test accuracy {100*s[\"finalTestAccuracy\"]:.2f}% after {s[\"epochs\"]} epochs ({s[\"seconds\"]:.0f} s)')" "$out/$run/summary.json" "$run"
done
echo "runs, metrics (metrics.jsonl) and checkpoints are in $out/"
