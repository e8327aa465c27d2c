#!/usr/bin/env bash
# Transferscope vs PyTorch, side by side in one run: training (SGD step with momentum) and
# forward throughput of resnet20 and CIFAR-style ResNet-18, batch 128, 3x32x32, 2 threads, with
# each engine's widest vectors and again with both held to AVX2 (TRANSFERSCOPE_NO_AVX512=1 for
# ours; ATEN_CPU_CAPABILITY=avx2 and ONEDNN_MAX_CPU_ISA=AVX2 for PyTorch), so that AVX2-only
# machines stay measured. Then the analyses' forward passes (AnalysisBenchmarks: a 21-point
# interpolation curve and a criticality measurement, each through the folded inference path and
# through the reference path, the unfolded training graph), and with --study the `default`
# study's wall time, run alone from an empty directory.
# The PyTorch peer runs in the project's virtual environment: scripts/python-env.sh installs
# PyTorch there from PyPI the first time (never into the system Python); PYTHON=... uses another
# interpreter that has it.
# This machine's speed drifts by 10-20% from minute to minute, so each pair is measured
# --repeats times, alternating engines, and the best of each is compared.
# usage: Benchmarks/run.sh [--seconds S] [--threads T] [--repeats R] [--no-analysis] [--study]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER=10; THREADS=2; REPEATS=3; ANALYSIS=1; STUDY=0
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) SECONDS_PER="$2"; shift 2 ;;
        --threads) THREADS="$2"; shift 2 ;;
        --repeats) REPEATS="$2"; shift 2 ;;
        --no-analysis) ANALYSIS=0; shift ;;
        --study) STUDY=1; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
python=${PYTHON:-$(bash scripts/python-env.sh torch torchvision)}
swift build -c release --product TransferscopeBenchmarks >&2
swift build -c release --product AnalysisBenchmarks >&2
results=$(mktemp)
# The machine line first: FMA peak and sgemm through the engine's BLAS path, and torch.mm.
.build/release/TransferscopeBenchmarks machine gemm --threads "$THREADS" >> "$results"
"$python" Benchmarks/pytorch_peer.py machine gemm --threads "$THREADS" >> "$results"
pair() {  # pair MODEL MODE [avx2]: one measurement of each engine, each in its own process
    if [ "${3:-}" = avx2 ]; then
        TRANSFERSCOPE_NO_AVX512=1 .build/release/TransferscopeBenchmarks "$1" "$2" --threads "$THREADS" \
            --seconds "$SECONDS_PER" >> "$results"
        ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 "$python" Benchmarks/pytorch_peer.py "$1" "$2" \
            --threads "$THREADS" --seconds "$SECONDS_PER" >> "$results"
    else
        .build/release/TransferscopeBenchmarks "$1" "$2" --threads "$THREADS" --seconds "$SECONDS_PER" >> "$results"
        "$python" Benchmarks/pytorch_peer.py "$1" "$2" --threads "$THREADS" --seconds "$SECONDS_PER" >> "$results"
    fi
}
for model in resnet20 resnet18; do
    for mode in train forward; do
        # Each measurement in its own process, so peak memory is that run's alone.
        for _ in $(seq "$REPEATS"); do pair "$model" "$mode"; done
    done
done
if grep -q avx512f /proc/cpuinfo 2>/dev/null; then
    for mode in train forward; do pair resnet20 "$mode" avx2; done
fi
"$python" Benchmarks/compare.py "$results" --threads "$THREADS"
if [ "$ANALYSIS" = 1 ]; then
    echo
    echo "analyses (seconds; the reference path is the unfolded training graph, the path before the folded one):"
    for analysis in interpolation criticality; do
        folded=$(.build/release/AnalysisBenchmarks "$analysis" --threads "$THREADS")
        reference=$(TRANSFERSCOPE_INFERENCE=reference .build/release/AnalysisBenchmarks "$analysis" --threads "$THREADS")
        echo "$folded"
        echo "$reference"
        "$python" -c 'import json, sys; f, r = (json.loads(a) for a in sys.argv[1:]); print(f"{f[\"benchmark\"]}: folded {f[\"seconds\"]:.1f} s, reference {r[\"seconds\"]:.1f} s, {r[\"seconds\"] / f[\"seconds\"]:.2f}x")' "$folded" "$reference"
    done
fi
if [ "$STUDY" = 1 ]; then
    swift build -c release --product transferscope >&2
    # The datasets are installed and prepared before the clock starts (a study prepares them otherwise).
    bash scripts/install-data.sh >&2
    .build/release/transferscope data prepare all >&2
    out=$(mktemp -d)
    start=$(date +%s)
    .build/release/transferscope study run studies/default.yaml --out "$out/default" >/dev/null
    echo "default study: $(( $(date +%s) - start )) s from an empty directory ($out/default)"
fi
