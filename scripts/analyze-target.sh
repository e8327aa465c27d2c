#!/usr/bin/env bash
# Every analysis of issue 4 on one target, from a source run: P-T and RI-T with two seeds, then
# CKA (the four pair kinds), distances, mistakes, barriers, basins, a Bezier curve, criticality,
# the block-shuffle sweep and the choice of source checkpoint. Prints how long each took.
#   usage: scripts/analyze-target.sh SOURCE_RUN_DIR TARGET OUT_DIR [EPOCHS (default 10)]
# Everything resumes: finished runs and analyses with results are not redone.
set -euo pipefail
source_run="$1"; target="$2"; out="$3"; epochs="${4:-10}"
ts="${TRANSFERSCOPE:-.build/release/transferscope}"
P="$source_run/final.safetensors"
flip=""; case "$target" in mnist-5k|sketch-digits) flip="--no-flip";; esac
timed() { local name="$1"; shift; local start=$SECONDS; "$@"; echo "[time] $name: $((SECONDS - start)) s"; }

for seed in 0 1; do
    common=(--data "$target" --epochs "$epochs" --batch-size 64 --seed "$seed" --checkpoint-epochs "0,$epochs" $flip)
    timed "train PT-s$seed" "$ts" train "${common[@]}" --init "$P" --lr 0.02 --out "$out/runs/PT-s$seed"
    timed "train RIT-s$seed" "$ts" train "${common[@]}" --normalization "$P" --size 28 --channels 1 --lr 0.1 --out "$out/runs/RIT-s$seed"
done
R="$out/runs"
for pair in "P-PT:$P:$R/PT-s0/final.safetensors" "PT-PT:$R/PT-s0/final.safetensors:$R/PT-s1/final.safetensors" \
            "PT-RIT:$R/PT-s0/final.safetensors:$R/RIT-s0/final.safetensors" "RIT-RIT:$R/RIT-s0/final.safetensors:$R/RIT-s1/final.safetensors"; do
    IFS=: read -r name a b <<< "$pair"
    [ -f "$out/cka/$name/cka.json" ] || timed "cka $name" "$ts" analyze cka --a "$a" --b "$b" --data "$target" --every-block --out "$out/cka/$name"
done
for pair in "PT-PT:$R/PT-s0:$R/PT-s1" "RIT-RIT:$R/RIT-s0:$R/RIT-s1" "PT-RIT:$R/PT-s0:$R/RIT-s0"; do
    IFS=: read -r name a b <<< "$pair"
    "$ts" analyze distance "$a/final.safetensors" "$b/final.safetensors" --out "$out/distance/$name" > /dev/null
done
"$ts" analyze distance "$R/PT-s0/final.safetensors" "$R/PT-s0/checkpoints/epoch-0000.safetensors" --out "$out/distance/PT-to-start" > /dev/null
"$ts" analyze distance "$R/RIT-s0/final.safetensors" "$R/RIT-s0/checkpoints/epoch-0000.safetensors" --out "$out/distance/RIT-to-start" > /dev/null
[ -f "$out/mistakes/mistakes.json" ] || timed mistakes "$ts" analyze mistakes --model PT-s0="$R/PT-s0/final.safetensors" --model PT-s1="$R/PT-s1/final.safetensors" \
    --model RIT-s0="$R/RIT-s0/final.safetensors" --model RIT-s1="$R/RIT-s1/final.safetensors" --data "$target" --out "$out/mistakes"
for kind in PT RIT; do
    [ -f "$out/interpolate/$kind/barriers.json" ] || timed "interpolate $kind" "$ts" analyze interpolate "$R/$kind-s0/final.safetensors" "$R/$kind-s1/final.safetensors" \
        --data "$target" --train-images 1000 --out "$out/interpolate/$kind"
done
[ -f "$out/interpolate/PT-RIT/barriers.json" ] || timed "interpolate PT-RIT" "$ts" analyze interpolate "$R/PT-s0/final.safetensors" "$R/RIT-s0/final.safetensors" \
    --data "$target" --train-images 1000 --out "$out/interpolate/PT-RIT"
for kind in PT RIT; do
    [ -f "$out/basin/$kind/basin.json" ] || timed "basin $kind" "$ts" analyze basin "$R/$kind-s0/final.safetensors" --directions 3 --steps 11 \
        --train-images 1000 --bn-batches 5 --data "$target" --out "$out/basin/$kind"
done
[ -f "$out/bezier/RIT/bezier.json" ] || timed "bezier RIT" "$ts" analyze bezier "$R/RIT-s0/final.safetensors" "$R/RIT-s1/final.safetensors" \
    --epochs 5 --data "$target" --train-images 1000 --out "$out/bezier/RIT"
[ -f "$out/criticality/PT/criticality.json" ] || timed "criticality PT" "$ts" analyze criticality "$R/PT-s0/final.safetensors" --start "$R/PT-s0/checkpoints/epoch-0000.safetensors" \
    --data "$target" --out "$out/criticality/PT"
[ -f "$out/criticality/RIT/criticality.json" ] || timed "criticality RIT" "$ts" analyze criticality "$R/RIT-s0/final.safetensors" \
    --start "$R/RIT-s0/checkpoints/epoch-0000.safetensors" --data "$target" --out "$out/criticality/RIT"
[ -f "$out/shuffle/summary.json" ] || timed "shuffle sweep" "$ts" analyze shuffle-sweep --source "$P" --data "$target" --block-sizes 28,14,7,4,2,1 --pixel \
    --seeds 0,1 --epochs 6 $flip --out "$out/shuffle"
[ -f "$out/checkpoints/summary.json" ] || timed "checkpoint choice" "$ts" analyze checkpoints --source-run "$source_run" --data "$target" \
    --seeds 0,1 --epochs 6 $flip --out "$out/checkpoints"
