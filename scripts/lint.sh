#!/usr/bin/env bash
# Checks the code style (.swift-format at the root; Tests/, Benchmarks/ and Fuzz/ have their own,
# without the documentation and force-unwrap rules): any finding fails. `make format` fixes the
# layout; missing doc comments and force unwraps need a person.
set -euo pipefail
cd "$(dirname "$0")/.."
swift format lint --strict --recursive Package.swift Sources Tests Benchmarks Fuzz
