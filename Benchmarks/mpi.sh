#!/usr/bin/env bash
# MPI on this machine, with ranks x threads = the cores (a benchmark, not a test; run it alone):
#   1. data-parallel training (`mpirun -n N transferscope train`): images/s of resnet20 on 3x32x32 images, batch 128,
#      one process with every core against N ranks with cores/N threads each;
#   2. a study over MPI (`mpirun -n N transferscope study run`): the wall time of a study (default: studies/quick.yaml)
#      in one process against N ranks, each from an empty output directory.
# Usage: bash Benchmarks/mpi.sh [OUT] [--ranks N] [--study FILE] [--epochs E]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench-out/mpi
RANKS=2
STUDY=studies/quick.yaml
EPOCHS=2
while [ $# -gt 0 ]; do
    case "$1" in
        --ranks) RANKS=$2; shift 2 ;;
        --study) STUDY=$2; shift 2 ;;
        --epochs) EPOCHS=$2; shift 2 ;;
        *) OUT=$1; shift ;;
    esac
done
bash scripts/install-deps.sh --for-tests >&2
swift build -c release --product transferscope >&2
T=$PWD/.build/release/transferscope
CORES=$(nproc)
[ $((CORES % RANKS)) -eq 0 ] || { echo "--ranks $RANKS does not divide the $CORES cores" >&2; exit 2; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
rm -rf "$OUT"
mkdir -p "$OUT"

# The median images/s of a run's step lines after its first (warm-up) interval.
images_per_second() {
    python3 - "$1/metrics.jsonl" <<'PY'
import json, statistics, sys
steps = [json.loads(l) for l in open(sys.argv[1]) if '"kind":"step"' in l]
print(f"{statistics.median(s['images_per_second'] for s in steps[1:]):.1f}")
PY
}
seconds_of() { python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))['seconds']))" "$1/summary.json"; }

DATA="procedural:side=32,channels=3,classes=10,train=5120,test=512"
TRAIN=(train --data "$DATA" --model resnet20 --epochs "$EPOCHS" --batch-size 128 --log-every 5)
echo "| training, resnet20, batch 128 | processes x threads | images/s | epoch seconds |"
echo "|---|---|---|---|"
"$T" "${TRAIN[@]}" --threads "$CORES" --out "$OUT/train-1" > "$OUT/train-1.log" 2>&1
echo "| one process | 1 x $CORES | $(images_per_second "$OUT/train-1") | $(( $(seconds_of "$OUT/train-1") / EPOCHS )) |"
mpirun --oversubscribe -n "$RANKS" "$T" "${TRAIN[@]}" --threads $((CORES / RANKS)) --out "$OUT/train-$RANKS" \
    > "$OUT/train-$RANKS.log" 2>&1
echo "| mpirun -n $RANKS | $RANKS x $((CORES / RANKS)) | $(images_per_second "$OUT/train-$RANKS") | $(( $(seconds_of "$OUT/train-$RANKS") / EPOCHS )) |"
python3 - "$OUT/train-1/final.safetensors" "$OUT/train-$RANKS/final.safetensors" <<'PY'
import json, struct, sys
def tensors(path):
    data = open(path, 'rb').read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == '__metadata__' or e['dtype'] != 'F32': continue
        a, b = e['data_offsets']
        out[name] = struct.unpack(f'<{(b - a) // 4}f', data[8 + n + a:8 + n + b])
    return out
x, y = tensors(sys.argv[1]), tensors(sys.argv[2])
worst = max(max(abs(p - q) for p, q in zip(x[k], y[k])) / max(1, max(abs(p) for p in x[k])) for k in x)
print(f"\nlargest relative difference of the final weights, {len(x)} tensors: {worst:.2e}\n")
PY

echo "| study $(basename "$STUDY") | processes x threads | wall seconds |"
echo "|---|---|---|"
start=$(date +%s.%N)
"$T" study run "$STUDY" --out "$OUT/study-1" --threads "$CORES" > "$OUT/study-1.log" 2>&1
echo "| one process | 1 x $CORES | $(python3 -c "print(round($(date +%s.%N) - $start))") |"
start=$(date +%s.%N)
mpirun --oversubscribe -n "$RANKS" "$T" study run "$STUDY" --out "$OUT/study-$RANKS" --threads $((CORES / RANKS)) \
    > "$OUT/study-$RANKS.log" 2>&1
echo "| mpirun -n $RANKS | $RANKS x $((CORES / RANKS)) | $(python3 -c "print(round($(date +%s.%N) - $start))") |"
