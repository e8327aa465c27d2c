#!/usr/bin/env bash
# Transferscope vs PyTorch, side by side in one run: training (SGD step with momentum) and
# forward throughput of resnet20 and CIFAR-style ResNet-18, batch 128, 3x32x32, 2 threads.
# The PyTorch peer runs in the project's virtual environment (scripts/python-env.sh installs torch
# there the first time; PYTHON=... uses another interpreter that has it).
# This machine's speed drifts by 10-20% from minute to minute, so each pair is measured
# --repeats times, alternating engines, and the best of each is compared.
# usage: Benchmarks/run.sh [--seconds S] [--threads T] [--repeats R]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER=10; THREADS=2; REPEATS=3
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) SECONDS_PER="$2"; shift 2 ;;
        --threads) THREADS="$2"; shift 2 ;;
        --repeats) REPEATS="$2"; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
python=${PYTHON:-$(bash scripts/python-env.sh torch torchvision)}
swift build -c release --product TransferscopeBenchmarks >&2
results=$(mktemp)
# The machine line first: FMA peak and sgemm through the engine's BLAS path, and torch.mm.
.build/release/TransferscopeBenchmarks machine gemm --threads "$THREADS" >> "$results"
"$python" Benchmarks/pytorch_peer.py machine gemm --threads "$THREADS" >> "$results"
for model in resnet20 resnet18; do
    for mode in train forward; do
        for _ in $(seq "$REPEATS"); do
            # Each measurement in its own process, so peak memory is that run's alone.
            .build/release/TransferscopeBenchmarks "$model" "$mode" --threads "$THREADS" --seconds "$SECONDS_PER" >> "$results"
            "$python" Benchmarks/pytorch_peer.py "$model" "$mode" --threads "$THREADS" --seconds "$SECONDS_PER" >> "$results"
        done
    done
done
"$python" Benchmarks/compare.py "$results" --threads "$THREADS"
