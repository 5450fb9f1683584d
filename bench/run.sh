#!/usr/bin/env bash
# run.sh — the `make bench` entry point: runs every end-to-end benchmark
# against one weir binary and prints their reports (see bench/RESULTS.md).
#
#   bench/run.sh BINARY          e.g. bench/run.sh build/weir
#   bench/run.sh BINARY NAME...  only the named ones, e.g. bench/run.sh build/weir log
#
# Each benchmark takes its own environment knobs (stateless.sh: EVENTS, RUNS,
# SEED, TIMEOUT) and writes its inputs and raw figures under bench/out/.
# bench/micro_formats.c is a micro-benchmark built by hand (see its header).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: bench/run.sh BINARY [stateless|log ...]" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$1; shift
SEL=" ${*:-all} "
sel() { [[ $SEL == *" all "* || $SEL == *" $1 "* ]]; }

if sel stateless; then bash "$HERE/stateless.sh" "$BIN"; fi
if sel log; then bash "$HERE/log.sh" "$BIN"; fi     # the embedded log (RESULTS.md "## log")
