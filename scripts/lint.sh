#!/usr/bin/env bash
# Checks the code style (.swift-format at the root; Tests/, Benchmarks/ and Fuzz/ have their own,
# without the documentation and force-unwrap rules): any finding fails. `make format` fixes the
# layout; missing doc comments and force unwraps need a person. swift-format cannot break string
# literals or comments, so lines over 120 columns are checked here too (file:line: length); split such
# a literal ("a " + "b", or a """ literal with \ line continuations) or rewrap the comment.
set -euo pipefail
cd "$(dirname "$0")/.."
swift format lint --strict --recursive Package.swift Sources Tests Benchmarks Fuzz
find Package.swift Sources Tests Benchmarks Fuzz -name '*.swift' -print0 | sort -z |
    xargs -0 awk 'length > 120 { print FILENAME ":" FNR ": " length " columns (at most 120)"; long = 1 } END { exit long }'
