#!/usr/bin/env bash
# P-T vs RI-T on every built-in target from one pre-trained checkpoint, and a table of accuracies.
#   usage: scripts/transfer-targets.sh P_CHECKPOINT OUT_DIR [SEEDS (default "0")] [EPOCHS (default 10)]
# P-T fine-tunes all layers from P with a new head (lr 0.02, as the paper's code); RI-T trains the
# same architecture from scratch (lr 0.1) on the same inputs (P's size, channels and normalization).
# Digits are not flipped. Runs resume if interrupted; finished ones are skipped.
set -euo pipefail
source_checkpoint="$1"; out="$2"; seeds="${3:-0}"; epochs="${4:-10}"
ts="${TRANSFERSCOPE:-.build/release/transferscope}"
for target in mnist-5k animal-silhouettes clipart sketch-digits; do
    flip=""; case "$target" in mnist-5k|sketch-digits) flip="--no-flip";; esac
    for seed in $seeds; do
        common=(--data "$target" --epochs "$epochs" --batch-size 64 --seed "$seed" --checkpoint-epochs "0,$epochs" $flip)
        "$ts" train "${common[@]}" --init "$source_checkpoint" --lr 0.02 --out "$out/$target/PT-s$seed"
        "$ts" train "${common[@]}" --normalization "$source_checkpoint" --size 28 --channels 1 --lr 0.1 --out "$out/$target/RIT-s$seed"
    done
done
python3 - "$out" <<'PY'
import glob, json, os, sys
out = sys.argv[1]
print(f"{'target':<20}{'run':<10}{'test acc':>10}{'epoch-1 acc':>13}{'seconds':>9}")
for summary in sorted(glob.glob(os.path.join(out, "*", "*", "summary.json"))):
    run = os.path.dirname(summary); target = os.path.basename(os.path.dirname(run))
    s = json.load(open(summary))
    first = [json.loads(l) for l in open(os.path.join(run, "metrics.jsonl")) if '"kind":"epoch"' in l and '"epoch":1,' in l]
    a1 = f"{100 * first[0]['test_accuracy']:.2f}" if first else "-"
    print(f"{target:<20}{os.path.basename(run):<10}{100 * s['finalTestAccuracy']:>10.2f}{a1:>13}{s['seconds']:>9.0f}")
PY
