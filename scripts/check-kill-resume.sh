#!/usr/bin/env bash
# Kills a training run with SIGKILL at several moments, starts it again each time with the same
# command, and checks that the final weights are byte-identical to an uninterrupted run's.
#   usage: scripts/check-kill-resume.sh [path/to/transferscope]
set -euo pipefail
binary="${1:-.build/release/transferscope}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
args=(train --data procedural:side=16,train=4096,test=256 --model resnet8 --widths 8,16,32 --epochs 8
      --batch-size 64 --lr 0.05 --checkpoint-epochs all --threads 2 --log-every 5)

"$binary" "${args[@]}" --out "$work/reference" >/dev/null 2>&1
kills=0
for delay in 3 2.5 4 3 3.5; do
    "$binary" "${args[@]}" --out "$work/killed" >/dev/null 2>&1 &
    pid=$!
    sleep "$delay"
    if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
    wait "$pid" 2>/dev/null || true
done
"$binary" "${args[@]}" --out "$work/killed" >/dev/null 2>&1
starts=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['starts']))" "$work/killed/run.json" 2>/dev/null || echo "?")
if cmp -s "$work/reference/final.safetensors" "$work/killed/final.safetensors"; then
    echo "PASS: $kills kill -9, $starts starts; final.safetensors identical to the uninterrupted run"
    for epoch in 0 1 2 3 4 5 6 7 8; do
        f=$(printf "checkpoints/epoch-%04d.safetensors" "$epoch")
        cmp -s "$work/reference/$f" "$work/killed/$f" || { echo "FAIL: $f differs"; exit 1; }
    done
    echo "PASS: every kept checkpoint identical"
else
    echo "FAIL: final weights differ after $kills kills"
    exit 1
fi
