#!/usr/bin/env bash
# run.sh — the `make bench` entry point: runs every end-to-end benchmark
# against one weir binary and prints their reports (see bench/RESULTS.md).
#
#   bench/run.sh BINARY          e.g. bench/run.sh build/weir
#
# Each benchmark takes its own environment knobs (stateless.sh: EVENTS, RUNS,
# SEED, TIMEOUT) and writes its inputs and raw figures under bench/out/.
# bench/micro_formats.c is a micro-benchmark built by hand (see its header).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: bench/run.sh BINARY" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)

bash "$HERE/stateless.sh" "$1"
