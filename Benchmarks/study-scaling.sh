#!/usr/bin/env bash
# How a study's estimated wall time scales with MPI ranks (issue 11): a Markdown table of the
# `paper` study (studies/paper.yaml) from an empty output directory on N = 1, 2, 4, ..., 64 ranks
# like this machine, each rank running one node at a time with --threads workers (every rank runs
# nodes, rank 0 too). One `transferscope study status --ranks 1,2,...,64` makes it: the costs of the
# study's model measured here once (a few seconds; on a busy machine they vary by a third from
# one measurement to the next, so every row shares one), then the plan's list schedule simulated
# for each count (the scheduler's own choice of the next node, StudySchedule). The columns: the
# wall time, the speed-up over one rank (the sum of the nodes' times over the wall time), how busy
# the ranks are, and the critical path, the least wall time on any number of ranks; its nodes and
# the estimate it is made of follow the table.
# The estimate needs the sizes of the study's built-in datasets: the ones `study status` finds not
# prepared are prepared first (`transferscope data prepare NAME`; scripts/install-data.sh before,
# when their packages are not installed).
# usage: Benchmarks/study-scaling.sh [--study FILE] [--threads T] [--ranks 1,2,4,8,16,32,64]
#   SCRATCH=.build-other Benchmarks/study-scaling.sh   builds in another scratch path (default .build)
set -euo pipefail
cd "$(dirname "$0")/.."
STUDY=studies/paper.yaml; THREADS=$(nproc); RANKS=1,2,4,8,16,32,64; SCRATCH=${SCRATCH:-.build}
while [ $# -gt 0 ]; do
    case "$1" in
        --study) STUDY="$2"; shift 2 ;;
        --threads) THREADS="$2"; shift 2 ;;
        --ranks) RANKS="$2"; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
swift build -c release --scratch-path "$SCRATCH" --product transferscope >&2
BIN="$SCRATCH/release/transferscope"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status() { "$BIN" study status "$STUDY" --out "$out/study" --threads "$THREADS" "$@"; }

# The datasets whose size the estimate does not know, by the command it names for each (an
# unknown source hides the targets, hence the rounds).
for _ in 1 2 3; do
    missing=$(status | grep -o 'transferscope data prepare [A-Za-z0-9_-]*' | awk '{ print $4 }' | sort -u || true)
    [ -n "$missing" ] || break
    for name in $missing; do
        echo "preparing $name" >&2
        "$BIN" data prepare "$name" >&2 || { bash scripts/install-data.sh >&2 && "$BIN" data prepare "$name" >&2; }
    done
done

report=$(status --ranks "$RANKS")
if ! grep -q '^  critical path ' <<<"$report"; then
    echo "no simulation; study status says:" >&2
    head -3 <<<"$report" >&2
    exit 1
fi
path=$(grep '^  critical path ' <<<"$report")
critical=$(sed 's/^  critical path \(.*\) (the least.*/\1/' <<<"$path")
# seconds DURATION: `StudyEstimate.duration`'s text ("40 s", "12 min", "3.5 h", "2.1 days") in seconds.
seconds() {
    awk -v d="$1" 'BEGIN { split(d, p, " "); print p[1] * (p[2] == "min" ? 60 : p[2] == "h" ? 3600 : p[2] == "days" ? 86400 : 1) }'
}
# The sum of the nodes' times: the estimate's time on one rank.
total=$(sed -n 's/^Estimated wall time on this machine ([^)]*): \(.*\) for the [0-9]* nodes\{0,1\} to run.*/\1/p' <<<"$report")
echo "| ranks | wall time | speed-up | ranks busy | critical path |"
echo "|------:|----------:|---------:|-----------:|--------------:|"
grep '^On [0-9]* rank' <<<"$report" | while read -r line; do
    n=$(sed 's/^On \([0-9]*\) rank.*/\1/' <<<"$line")
    wall=$(sed 's/.*at a time): \(.*\) for the .*/\1/' <<<"$line")
    busy=$(sed 's/.*the ranks busy \([0-9]*%\) of it/\1/' <<<"$line")
    speedup=$(awk -v t="$(seconds "$total")" -v w="$(seconds "$wall")" 'BEGIN { printf "%.1f", t / w }')
    echo "| $n | $wall | ${speedup}x | $busy | $critical |"
done
echo
echo "Critical path: ${path#*ranks): }"
echo
head -2 <<<"$report"
