#!/usr/bin/env bash
# run.sh — the `make bench` entry point: runs every end-to-end benchmark
# against one weir binary and prints their reports (see bench/RESULTS.md).
#
#   bench/run.sh BINARY          e.g. bench/run.sh build/weir
#   bench/run.sh BINARY NAME...  only the named ones (stateless, nexmark, log, checkpoint, all),
#                                e.g. bench/run.sh build/weir nexmark
#
# Each benchmark takes its own environment knobs (stateless.sh: EVENTS, RUNS,
# SEED, TIMEOUT; nexmark.sh: EVENTS, RUNS, TPS, TIMEOUT, QUERIES, NEXMARK_QUERIES)
# and writes its inputs and raw figures under bench/out/.
# bench/micro_formats.c is a micro-benchmark built by hand (see its header).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: bench/run.sh BINARY [stateless|nexmark|log|checkpoint|all ...]" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$1; shift
SEL=" ${*:-all} "
sel() { [[ $SEL == *" all "* || $SEL == *" $1 "* ]]; }

for n in $SEL; do
    case $n in stateless|nexmark|log|checkpoint|all) ;;
        *) echo "bench/run.sh: unknown benchmark '$n' (stateless, nexmark, log, checkpoint, all)" >&2; exit 2 ;;
    esac
done
if sel stateless; then bash "$HERE/stateless.sh" "$BIN"; fi
if sel nexmark; then bash "$HERE/nexmark.sh" "$BIN"; fi  # RESULTS.md "## nexmark"
if sel log; then bash "$HERE/log.sh" "$BIN"; fi     # the embedded log (RESULTS.md "## log")
if sel checkpoint; then bash "$HERE/checkpoint.sh" "$BIN"; fi  # RESULTS.md "## checkpoint"
