#!/usr/bin/env bash
# Transferscope vs PyTorch, side by side in one run: training (SGD step with momentum) and
# forward throughput of resnet20 and CIFAR-style ResNet-18, batch 128, 3x32x32, 2 threads, and of
# torchvision's ResNet-18 and ResNet-50 at 3x224x224, batch 32 (resnet18-224, resnet50-224), with
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
# One step at 224 takes seconds (ResNet-50 training on 2 cores: about 8), so those rows have their
# own --seconds-224 and --repeats-224, and their models a shorter warm-up (1 step) and at least
# 2 timed steps: about 4 minutes for the four 224 pairs by default. --no-224 skips them;
# --only-224 runs only them (with the machine line, without the analyses), e.g. on a quiet machine
#   Benchmarks/run.sh --only-224 --seconds-224 30 --repeats-224 3
# usage: Benchmarks/run.sh [--seconds S] [--threads T] [--repeats R] [--seconds-224 S] [--repeats-224 R]
#                          [--no-224 | --only-224] [--no-analysis] [--study]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER=10; THREADS=2; REPEATS=3; SECONDS_224=1; REPEATS_224=2; SMALL=1; LARGE=1; ANALYSIS=1; STUDY=0
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) SECONDS_PER="$2"; shift 2 ;;
        --threads) THREADS="$2"; shift 2 ;;
        --repeats) REPEATS="$2"; shift 2 ;;
        --seconds-224) SECONDS_224="$2"; shift 2 ;;
        --repeats-224) REPEATS_224="$2"; shift 2 ;;
        --no-224) LARGE=0; shift ;;
        --only-224) SMALL=0; ANALYSIS=0; shift ;;
        --no-analysis) ANALYSIS=0; shift ;;
        --study) STUDY=1; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
python=${PYTHON:-$(bash scripts/python-env.sh torch torchvision)}
swift build -c release --product TransferscopeBenchmarks >&2
if [ "$ANALYSIS" = 1 ]; then swift build -c release --product AnalysisBenchmarks >&2; fi
results=$(mktemp)
# The machine line first: FMA peak and sgemm through the engine's BLAS path, and torch.mm.
.build/release/TransferscopeBenchmarks machine gemm --threads "$THREADS" >> "$results"
"$python" Benchmarks/pytorch_peer.py machine gemm --threads "$THREADS" >> "$results"
pair() {  # pair MODEL MODE [avx2]: one measurement of each engine, each in its own process
    local seconds="$SECONDS_PER"
    case "$1" in *-224) seconds="$SECONDS_224" ;; esac
    if [ "${3:-}" = avx2 ]; then
        TRANSFERSCOPE_NO_AVX512=1 .build/release/TransferscopeBenchmarks "$1" "$2" --threads "$THREADS" \
            --seconds "$seconds" >> "$results"
        ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 "$python" Benchmarks/pytorch_peer.py "$1" "$2" \
            --threads "$THREADS" --seconds "$seconds" >> "$results"
    else
        .build/release/TransferscopeBenchmarks "$1" "$2" --threads "$THREADS" --seconds "$seconds" >> "$results"
        "$python" Benchmarks/pytorch_peer.py "$1" "$2" --threads "$THREADS" --seconds "$seconds" >> "$results"
    fi
}
if [ "$SMALL" = 1 ]; then
    for model in resnet20 resnet18; do
        for mode in train forward; do
            # Each measurement in its own process, so peak memory is that run's alone.
            for _ in $(seq "$REPEATS"); do pair "$model" "$mode"; done
        done
    done
    if grep -q avx512f /proc/cpuinfo 2>/dev/null; then
        for mode in train forward; do pair resnet20 "$mode" avx2; done
    fi
fi
if [ "$LARGE" = 1 ]; then
    for model in resnet18-224 resnet50-224; do
        for mode in train forward; do
            for _ in $(seq "$REPEATS_224"); do pair "$model" "$mode"; done
        done
    done
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
        "$python" -c 'import json, sys; f, r = (json.loads(a) for a in sys.argv[1:]); print("%s: folded %.1f s, reference %.1f s, %.2fx" % (f["benchmark"], f["seconds"], r["seconds"], r["seconds"] / f["seconds"]))' "$folded" "$reference"
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
