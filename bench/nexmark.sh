#!/usr/bin/env bash
# nexmark.sh — Nexmark throughput of the queries weir runs today: the published
# Flink SQL of each query, unchanged, with the 'nexmark' generator inside the job
# (as Flink's runner does) at full speed into the query's blackhole sink.
# Results and how to read them: bench/RESULTS.md, "## nexmark".
#
#   bench/nexmark.sh [WEIR]          default WEIR: build/weir
#   EVENTS=1000000 RUNS=1 bench/nexmark.sh build/weir
#
# Environment: EVENTS (10000000), RUNS (3), TPS (100000: event time then spans
# EVENTS/TPS = 100 s, so the 10 s windows of q11/q12 fire), TIMEOUT (300 s per
# run), QUERIES (q0 q1 q2 q11 q12 q14 q21 q22, issue 3's queries; issue 4's, with
# their targets in bench/nexmark_run.py too: q3 q4 q5 q7 q8 q9 q13 q15 q16 q17
# q18 q19 q20 q23; any qN of the directory may be named), SCALE_QUERIES (q1 q11: also run at parallelism
# 2 for the 1 -> 2 worker scaling), NEXMARK_QUERIES (the query texts, kept
# outside the project: default ../shared/nexmark beside the repository),
# WEIR_COMMIT (what the binary was built from, for the report, when it is not
# this working tree).  Jobs are assembled by bench/nexmark_run.py like
# nexmark-flink's QueryRunner: ddl_gen.sql + ddl_views.sql + qN.sql with ${TPS},
# ${EVENTS_NUM}, proportions 1/3/46 and ${NEXMARK_TABLE} = datagen substituted.
#
# Two generator-only jobs show the generator's own cost: 'gen-type' (SELECT
# event_type FROM datagen into a blackhole; the table's WATERMARK reads every ROW's
# dateTime, so all fields are still generated) and 'gen' (every column carried to
# the blackhole).
#
# Every run is timed by bench/measure.c (wait4 rusage: wall, user+sys CPU, peak
# RSS).  Rounds are interleaved (every job once per round, RUNS rounds), and
# the figures quoted are medians.  "Per core" = events / (user+sys CPU time),
# the figure the targets are set on (K events/s per core, 10x Flink 2.0's).
# Each run must exit 0, read exactly EVENTS events, dead-letter nothing and,
# except q12 (processing-time windows), give the same sink row count in every
# round, or the script fails.  Missed targets are reported, not fatal.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WEIR=${1:-$ROOT/build/weir}
[[ $WEIR = /* ]] || WEIR=$PWD/$WEIR
EVENTS=${EVENTS:-10000000}
RUNS=${RUNS:-3}
TPS=${TPS:-100000}
TIMEOUT=${TIMEOUT:-300}
QUERIES=${QUERIES:-q0 q1 q2 q11 q12 q14 q21 q22}
SCALE_QUERIES=${SCALE_QUERIES:-q1 q11}
QDIR=${NEXMARK_QUERIES:-$ROOT/../shared/nexmark}
OUT=$ROOT/bench/out
BIN=$OUT/bin
JOBS=$OUT/nexmark
CC=${CC:-gcc}
PY=${PYTHON:-python3}
RUN_PY=$ROOT/bench/nexmark_run.py

die() { echo "nexmark.sh: $*" >&2; exit 1; }
[ -x "$WEIR" ] || die "no weir binary at '$WEIR' (make build/weir)"
[ -d "$QDIR" ] || die "no Nexmark queries at '$QDIR': set NEXMARK_QUERIES to the directory" \
    "holding ddl_gen.sql, ddl_views.sql and q0.sql..q23.sql (nexmark-flink's queries/)"
for f in ddl_gen.sql ddl_views.sql; do
    [ -f "$QDIR/$f" ] || die "$QDIR has no $f"
done
command -v "$PY" > /dev/null || die "python3 is needed (bench/nexmark_run.py)"
mkdir -p "$BIN" "$JOBS"
# Run a copy: a rebuild of build/weir during the runs must not mix two builds.
WEIR_FROM=$WEIR
WEIR_ID="$(date -r "$WEIR" '+%F %T'), sha256 $(sha256sum "$WEIR" | cut -c1-12)"
cp "$WEIR" "$BIN/weir.nexmark"
WEIR=$BIN/weir.nexmark
$CC -std=c17 -O2 -Wall -Wextra -Werror -o "$BIN/measure" "$ROOT/bench/measure.c" \
    || die "cannot build bench/measure.c"

# ---- the jobs ------------------------------------------------------------------------
# q13's side input, as nexmark-flink's bin/side_input_gen.sh writes it: "i,i", i < 10000
mkdir -p "$JOBS/fs/data"
seq 0 9999 | awk '{print $1 "," $1}' > "$JOBS/fs/data/side_input.txt"
for q in gen-type gen $QUERIES; do
    "$PY" "$RUN_PY" assemble "$QDIR" "$q" TPS="$TPS" EVENTS_NUM="$EVENTS" \
        NEXMARK_DIR="$JOBS/fs" FLINK_HOME="$JOBS/fs" > "$JOBS/$q.sql" \
        || die "cannot assemble $q"
    "$WEIR" validate "$JOBS/$q.sql" > /dev/null || die "weir validate failed on $q"
done

# ---- the runs ------------------------------------------------------------------------
RAW=$OUT/nexmark-raw.txt     # query p round wall user sys rss_kib sink_rows
: > "$RAW"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A ROWS
one_run() { # query parallelism round
    local q=$1 p=$2 round=$3 m=$JOBS/$1.p$2.json src sink dl late
    : > "$OUT/measure.tmp"
    rm -rf "$JOBS/state" "$m"
    "$BIN/measure" "$OUT/measure.tmp" "$TIMEOUT" "$WEIR" run "$JOBS/$q.sql" -p "$p" \
        -q --no-progress --state-dir "$JOBS/state" --metrics-json "$m" \
        || die "$q at -p $p failed in round $round (status above)"
    read -r wall user sys rss _ < "$OUT/measure.tmp"
    read -r src sink dl late < <("$PY" "$RUN_PY" metrics "$m") || die "$q: no metrics"
    [ "$src" = "$EVENTS" ] || die "$q at -p $p read $src events, expected $EVENTS"
    [ "$dl" = 0 ] || die "$q at -p $p dead-lettered $dl records"
    [ "$late" = 0 ] || echo "nexmark.sh: note: $q at -p $p dropped $late late rows" >&2
    if [ "$q" != q12 ] && [ -n "${ROWS[$q.$p]:-}" ] && [ "${ROWS[$q.$p]}" != "$sink" ]; then
        die "$q at -p $p gave $sink sink rows, an earlier round gave ${ROWS[$q.$p]}"
    fi
    ROWS[$q.$p]=$sink
    rm -rf "$JOBS/fs/data/output"     # q10's files
    echo "$q $p $round $wall $user $sys $rss $sink" >> "$RAW"
}
for round in $(seq 1 "$RUNS"); do
    echo "round $round/$RUNS: gen-type gen $QUERIES (p=1); $SCALE_QUERIES (p=2)" >&2
    for q in gen-type gen $QUERIES; do
        one_run "$q" 1 "$round"
        case " $SCALE_QUERIES " in *" $q "*) one_run "$q" 2 "$round" ;; esac
    done
done
rm -rf "$JOBS/state" "$JOBS/fs" "$OUT/measure.tmp"
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the report ----------------------------------------------------------------------
. "$ROOT/bench/lib.sh"
MACHINE=$(bench_machine)
export EVENTS RUNS TPS LOAD_BEFORE LOAD_AFTER MACHINE
export COMMIT="${WEIR_COMMIT:-$(bench_commit)}; weir binary: $WEIR_FROM (built $WEIR_ID)"
export COMMAND="EVENTS=$EVENTS RUNS=$RUNS TPS=$TPS bench/nexmark.sh"
export WORKLOAD="$EVENTS events at \${TPS} = $TPS ($(awk -v e="$EVENTS" -v t="$TPS" \
    'BEGIN {printf "%g", e / t}') s of event time), proportions 1/3/46, generator at full speed"
"$PY" "$RUN_PY" report "$RAW" | tee "$OUT/nexmark.md"
echo >&2
echo "raw figures: $RAW; this report: $OUT/nexmark.md; jobs: $JOBS/" >&2
