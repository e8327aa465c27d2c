#!/usr/bin/env bash
# Fuzzes every file reader (safetensors, IDX, NPY, CSV, pickle, study files, PyTorch .pth) from the committed
# seed corpus in Tests/FuzzCorpus; fails on the first crash and keeps the input that caused it.
#
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET]              # the built-in seeded mutation engine (CI)
#   bash scripts/fuzz.sh --libfuzzer [SECONDS_PER_TARGET]  # libFuzzer (coverage-guided), built with --sanitize fuzzer
#
# A crashing input is left in .build/fuzz-crashes/; replay it with
#   swift run transferscope-fuzz TARGET --replay FILE
set -euo pipefail
cd "$(dirname "$0")/.."

engine=mutations
if [[ "${1:-}" == "--libfuzzer" ]]; then engine=libfuzzer; shift; fi
seconds="${1:-15}"
seed="${FUZZ_SEED:-0}"  # fixed by default so that CI is repeatable; set FUZZ_SEED to explore
targets=(safetensors idx npy csv pickle study pth)
crashes=.build/fuzz-crashes
mkdir -p "$crashes"

if [[ $engine == mutations ]]; then
    swift build --product transferscope-fuzz >/dev/null
    binary="$(swift build --show-bin-path)/transferscope-fuzz"
    for target in "${targets[@]}"; do
        current="$crashes/current-$target"
        # At most 8 GB of address space: an allocation without bound is a crash, not a slow machine.
        if ! (ulimit -v 8000000; "$binary" "$target" "Tests/FuzzCorpus/$target" --seconds "$seconds" --seed "$seed" \
                --current "$current" --input-timeout 10); then
            if [ -f "$current" ]; then
                mv "$current" "$crashes/crash-$target-seed$seed"
                echo "fuzz: $target crashed (seed $seed); the input is $crashes/crash-$target-seed$seed" >&2
            else
                echo "fuzz: $target's run failed after its last input (seed $seed): a fault of the driver, not of an input" >&2
            fi
            exit 1
        fi
    done
else
    swift build --build-path .build-fuzz -c release --sanitize fuzzer -Xswiftc -DLIBFUZZER --product transferscope-fuzz >/dev/null
    binary=.build-fuzz/release/transferscope-fuzz
    for target in "${targets[@]}"; do
        work=".build-fuzz/corpus/$target"
        mkdir -p "$work"
        status=0
        TRANSFERSCOPE_FUZZ_TARGET=$target "$binary" "$work" "Tests/FuzzCorpus/$target" -max_total_time="$seconds" \
            -seed="$seed" -timeout=10 -rss_limit_mb=4096 -malloc_limit_mb=4096 -artifact_prefix="$crashes/$target-" \
            -print_final_stats=1 > "$crashes/libfuzzer-$target.log" 2>&1 || status=$?
        grep -E "^(Done|==|SUMMARY|artifact)" "$crashes/libfuzzer-$target.log" || true
        if [[ $status -ne 0 ]] || ls "$crashes/$target-"* >/dev/null 2>&1; then
            echo "fuzz: libFuzzer stopped on $target (status $status): $(ls "$crashes/$target-"* 2>/dev/null); see $crashes/libfuzzer-$target.log" >&2
            exit 1
        fi
    done
fi
echo "fuzz: ${#targets[@]} readers, $seconds s each ($engine, seed $seed): no crash"
