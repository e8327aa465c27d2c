#!/usr/bin/env bash
# An imported ImageNet-size model through a whole study, timed and its peak memory measured:
# torchvision's ResNet-50 (its own class and initialization, saved with torch.save; offline, so
# no pre-trained weights) imported with `model import`, then a study from it on an ImageFolder of
# JPEG photos of any size at 224x224 (torchvision's resize and centre crop): P-T and RI-T for two
# seeds, then every analysis: the domain distance, a shuffle sweep, mistakes, CKA, parameter
# distances, interpolation, criticality and the checkpoint choice (between P and a second
# initialization). Prints each node's seconds and the peak RSS.
#
#     bash Benchmarks/imported-model.sh [OUT] [--model resnet50|resnet18] [--per-class 40]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-/tmp/transferscope-imported}
shift || true
MODEL=resnet50
PER_CLASS=40
while [ $# -gt 0 ]; do
    case "$1" in
        --model) MODEL=$2; shift 2 ;;
        --per-class) PER_CLASS=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
PYTHON=$(bash scripts/python-env.sh torch torchvision pillow)
swift build -c release --product transferscope >/dev/null
BIN=.build/release/transferscope
mkdir -p "$OUT"
[ -f "$OUT/$MODEL-epoch0.pth" ] || "$PYTHON" Benchmarks/imported_model_data.py "$OUT" --model "$MODEL" --per-class "$PER_CLASS"
/usr/bin/time -f "import: %e s, peak RSS %M KB" \
    "$BIN" model import "$OUT/$MODEL.pth" --size 224 --normalization imagenet --out "$OUT/$MODEL.safetensors"
"$BIN" model import "$OUT/$MODEL-epoch0.pth" --size 224 --normalization imagenet --out "$OUT/$MODEL-epoch0.safetensors"
# The photos stand in for the source's images too: the domain distance reads only P's features
# (P's accuracy on them is not measured, their classes not being its head's).
cat >"$OUT/study.yaml" <<YAML
name: imported-$MODEL
source:
  checkpoints: {0: $OUT/$MODEL-epoch0.safetensors, 1: $OUT/$MODEL.safetensors}
  data: "folder:$OUT/shapes"
targets:
  - {data: "folder:$OUT/shapes", fit: crop}
recipe: {epochs: 1, batch_size: 32, pt_lr: 0.01, rit_lr: 0.1}
seeds: [0, 1]
controls: {same_init: false, scratch_at_pt_lr: false}
analyses:
  shuffle: {block_sizes: [224, 7], pixel: false, epochs: 1, seeds: [0]}
  cka: {images: 30}
  interpolation: {points: 3, train_images: 60, bn_batches: 1}
  criticality: {alphas: 3, sigmas: [0.5], samples: 1, train_images: 60}
  checkpoints: {epochs: 1}
  domain: {images: 60, resamples: 50}
YAML
rm -rf "$OUT/study"
/usr/bin/time -f "study: %e s, peak RSS %M KB" "$BIN" study run "$OUT/study.yaml" --out "$OUT/study"
for done in "$OUT"/study/results/*/done.json "$OUT"/study/results/*/*/done.json; do
    [ -f "$done" ] || continue
    node=${done#"$OUT/study/results/"}
    echo "${node%/done.json}: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seconds"])' "$done") s"
done
