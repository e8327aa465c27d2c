#!/usr/bin/env bash
# Runs the suites whose numbers depend on the compute path (BLAS kernels, SIMD convolution kernels)
# once more on every other path this processor can run, after the full suite ran on the default
# one: OpenBLAS's generic Prescott kernels (what an unknown CPU model used to get), Haswell's AVX2
# kernels, the AVX2 convolution kernels on an AVX-512 machine, and, where the environment sets
# OPENBLAS_CORETYPE, the kernels Transferscope picks itself. A machine difference then cannot turn
# the suite red for the next person.
# usage: scripts/test-cpu-paths.sh   (after `swift test` has built the tests)
set -euo pipefail
cd "$(dirname "$0")/.."
suites='BLASTests|PyTorchParityTests|LayerGradientTests|ModelGradientTests|WorkerScopeTests|DoctorTests|PoolingTests|SynchronizedBatchNormTests|DataParallelTrainingTests|DirectConvolutionTests'
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
has() { [[ " $flags " == *" $1 "* ]]; }
paths=("OPENBLAS_CORETYPE=Prescott")
if has avx2 && has fma; then paths+=("OPENBLAS_CORETYPE=Haswell"); fi
if has avx512f && has avx512vl; then paths+=("TRANSFERSCOPE_NO_AVX512=1" "TRANSFERSCOPE_NO_AVX512=1 OPENBLAS_CORETYPE=Prescott"); fi
# Where the environment forces OpenBLAS's kernels (seen: OPENBLAS_CORETYPE=Haswell on an AMD EPYC
# with AVX-512), the full suite ran on those: run the kernels Transferscope picks itself too.
if [[ -n "${OPENBLAS_CORETYPE:-}" ]]; then paths+=("-u OPENBLAS_CORETYPE"); fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for path in "${paths[@]}"; do
    echo "== compute path: $path"
    env $path swift test --skip-build --filter "$suites" 2>&1 | tee "$log"
    # `--filter` matching nothing exits 0: a renamed suite must not pass silently.
    if ! grep -Eq "Test run with [1-9][0-9]* tests" "$log"; then
        echo "error: no test matched '$suites' on path $path (were the suites renamed?)" >&2
        exit 1
    fi
done
