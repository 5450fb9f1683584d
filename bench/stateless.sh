#!/usr/bin/env bash
# stateless.sh — end-to-end throughput of a stateless job (file source ->
# WHERE + projection -> blackhole), NDJSON and CSV, next to two baselines
# measured in the same run: `cat FILE > /dev/null` (reading the file) and a
# hand-written single-threaded C filter, bench/baseline/filter_<fmt>.c (the
# practical limit for parse + filter + project).  Results: bench/RESULTS.md.
#
#   bench/stateless.sh [WEIR]          default WEIR: build/weir
#   EVENTS=1000000 RUNS=3 bench/stateless.sh build/weir
#
# Environment: EVENTS (10000000), RUNS (5), SEED (42), TIMEOUT (300 s per run).
# The input files are generated once into bench/out/ and reused while EVENTS
# and SEED are unchanged.  Every run is timed by bench/measure.c (wait4
# rusage): wall, user+sys CPU, peak RSS.  The runs of one round go cat,
# baseline, weir for each format, RUNS rounds, so background load hits all
# three alike; the figures quoted are medians over the rounds.
#
# "Per core" divides by the CPU time the program actually used (user+sys),
# not by wall time: events/s per core = events / (user+sys).  It is the figure
# the targets are set on, and the one least disturbed by other processes.
#
# Correctness: weir's sink row count (--metrics-json), the baseline's output
# row count and the generator's own count must agree, or the script fails.
# Missed throughput targets are reported (MISS) but do not fail the script.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WEIR=${1:-$ROOT/build/weir}
[[ $WEIR = /* ]] || WEIR=$PWD/$WEIR
EVENTS=${EVENTS:-10000000}
RUNS=${RUNS:-5}
SEED=${SEED:-42}
TIMEOUT=${TIMEOUT:-300}
OUT=$ROOT/bench/out
BIN=$OUT/bin
CC=${CC:-gcc}

die() { echo "stateless.sh: $*" >&2; exit 1; }
[ -x "$WEIR" ] || die "no weir binary at '$WEIR' (make build/weir)"
mkdir -p "$BIN"
# Run a copy: a rebuild of build/weir during the runs (other people work in
# this tree) must not mix two builds in one table.
WEIR_FROM=$WEIR
WEIR_ID="$(date -r "$WEIR" '+%F %T'), sha256 $(sha256sum "$WEIR" | cut -c1-12)"
cp "$WEIR" "$BIN/weir"
WEIR=$BIN/weir

# ---- tools -----------------------------------------------------------------------
for t in gen_events measure baseline/filter_json baseline/filter_csv; do
    $CC -std=c17 -O2 -Wall -Wextra -Werror -o "$BIN/$(basename $t)" \
        "$ROOT/bench/$t.c" || die "cannot build bench/$t.c"
done

# ---- input files (once per EVENTS/SEED) -------------------------------------------
JSON=$OUT/events-$EVENTS-$SEED.ndjson
CSV=$OUT/events-$EVENTS-$SEED.v2.csv
META=$OUT/events-$EVENTS-$SEED.v2.meta
if [ ! -s "$META" ] || [ ! -s "$JSON" ] || [ ! -s "$CSV" ]; then
    echo "generating $EVENTS events (seed $SEED) into bench/out/ ..." >&2
    "$BIN/gen_events" "$EVENTS" "$SEED" "$JSON" "$CSV" > "$META.tmp"
    mv "$META.tmp" "$META"
fi
# meta: events N json_bytes B csv_bytes B kept K
read -r _ N _ JSON_BYTES _ CSV_BYTES _ KEPT < "$META"
[ "$N" = "$EVENTS" ] || die "stale $META"

# ---- the jobs: ${FILE} -> the generated file ------------------------------------
for fmt in json csv; do
    f=$JSON; [ $fmt = csv ] && f=$CSV
    sed "s#\${FILE}#$f#" "$ROOT/bench/stateless_$fmt.sql" > "$OUT/stateless_$fmt.sql"
    "$WEIR" validate "$OUT/stateless_$fmt.sql" > /dev/null \
        || die "weir validate failed on bench/stateless_$fmt.sql"
done

# ---- the runs --------------------------------------------------------------------
RAW=$OUT/stateless-raw.txt     # fmt prog round wall user sys rss_kib rows_out
: > "$RAW"
cat "$JSON" "$CSV" > /dev/null  # warm the page cache: every program reads from memory
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# measured FMT PROG ROUND COMMAND...: one timed run; its figures go to $RAW once
# the caller has said how many rows it produced (record).
measured() {
    local fmt=$1 prog=$2 round=$3; shift 3
    : > "$OUT/measure.tmp"
    "$BIN/measure" "$OUT/measure.tmp" "$TIMEOUT" "$@" \
        || die "$prog on $fmt failed in round $round (status above)"
    read -r M_WALL M_USER M_SYS M_RSS _ < "$OUT/measure.tmp"
    M_ID="$fmt $prog $round"
}
record() { echo "$M_ID $M_WALL $M_USER $M_SYS $M_RSS $1" >> "$RAW"; }

check_rows() { # what, rows
    [ "$2" = "$KEPT" ] || die "$1 produced $2 rows, expected $KEPT (gen_events' count)"
}

for round in $(seq 1 "$RUNS"); do
    for fmt in json csv; do
        f=$JSON; [ $fmt = csv ] && f=$CSV
        echo "round $round/$RUNS: $fmt" >&2
        measured $fmt cat "$round" sh -c 'exec cat "$1" > /dev/null' sh "$f"
        record -

        measured $fmt baseline "$round" \
            sh -c 'exec "$1" "$2" > "$3"' sh "$BIN/filter_$fmt" "$f" "$OUT/baseline.out"
        rows=$(awk '{print $4}' "$OUT/baseline.out")
        check_rows "bench/baseline/filter_$fmt ($fmt)" "$rows"
        record "$rows"

        rm -rf "$OUT/state" "$OUT/metrics_$fmt.json"
        measured $fmt weir "$round" "$WEIR" run "$OUT/stateless_$fmt.sql" -q --no-progress \
            --state-dir "$OUT/state" --metrics-json "$OUT/metrics_$fmt.json"
        rows=$(sed -n 's/.*"sinks":\[{"name":"sink","rows":\([0-9]*\)}.*/\1/p' \
               "$OUT/metrics_$fmt.json")
        check_rows "weir ($fmt)" "$rows"
        dl=$(sed -n 's/^{[^}]*"dead_letters":\([0-9]*\),.*/\1/p' "$OUT/metrics_$fmt.json")
        [ "$dl" = 0 ] || die "weir dead-lettered $dl records ($fmt)"
        record "$rows"
    done
done
rm -rf "$OUT/state" "$OUT/measure.tmp" "$OUT/baseline.out"
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the report ------------------------------------------------------------------
. "$ROOT/bench/lib.sh"
{
echo "## stateless: file -> WHERE + projection -> blackhole"
echo
echo "- machine: $(bench_machine)"
echo "- commit: $(bench_commit); weir binary: $WEIR_FROM (built $WEIR_ID)"
echo "- command: EVENTS=$EVENTS RUNS=$RUNS SEED=$SEED bench/stateless.sh"
per_event() { awk -v b="$1" -v n="$N" 'BEGIN {printf "%.1f", b / n}'; }
echo "- input: $N events; NDJSON $JSON_BYTES bytes ($(per_event $JSON_BYTES) B/event)," \
     "CSV $CSV_BYTES bytes ($(per_event $CSV_BYTES) B/event);" \
     "the filter keeps $KEPT rows in both (weir, baseline and generator agree)"
echo "- load average (1/5/15 min) before: $LOAD_BEFORE, after: $LOAD_AFTER"
echo "- medians of $RUNS runs; MB = 10^6 bytes; per core = divided by user+sys CPU" \
     "time; cores = CPU time / wall time"
echo
awk -v n="$N" -v jb="$JSON_BYTES" -v cb="$CSV_BYTES" -v runs="$RUNS" '
function median(key, col,    a, i, j, k, t, m) {
    m = cnt[key]
    for (i = 1; i <= m; i++) a[i] = v[key, i, col]
    for (i = 2; i <= m; i++) {          # insertion sort: m is small
        t = a[i]
        for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]
        a[j + 1] = t
    }
    return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
function fname(f) { return f == "json" ? "NDJSON" : "CSV" }
function verdict(ok) { return ok ? "met" : "MISS" }
function extreme(key, col, want_max,    i, x, r) {
    r = v[key, 1, col]
    for (i = 2; i <= cnt[key]; i++) {
        x = v[key, i, col]
        if ((want_max && x > r) || (!want_max && x < r)) r = x
    }
    return r
}
{
    key = $1 " " $2
    i = ++cnt[key]
    v[key, i, "wall"] = $4; v[key, i, "cpu"] = $5 + $6; v[key, i, "rss"] = $7
}
END {
    h = "| format | program | MB/s | events/s | cores | MB/s per core"
    h = h " | events/s per core (min-max) | peak RSS MiB (max) | weir / baseline per core |"
    print h
    print "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    nf = split("json csv", fmts, " ")
    np = split("cat baseline weir", progs, " ")
    for (f = 1; f <= nf; f++) {
        bytes = fmts[f] == "json" ? jb : cb
        for (p = 1; p <= np; p++) {
            key = fmts[f] " " progs[p]
            wall = median(key, "wall"); cpu = median(key, "cpu")
            rss = median(key, "rss"); rss_max = extreme(key, "rss", 1)
            cpu_lo = extreme(key, "cpu", 0); cpu_hi = extreme(key, "cpu", 1)
            core[key] = cpu
            ratio = "—"
            if (progs[p] == "weir") ratio = sprintf("%.2f", core[fmts[f] " baseline"] / cpu)
            if (progs[p] == "weir") { wcpu[fmts[f]] = cpu; wrss[fmts[f]] = rss_max }
            name = progs[p] == "weir" ? "weir" : "baseline/filter_" fmts[f]
            if (progs[p] == "cat") name = "`cat FILE > /dev/null`"
            row = "| %s | %s | %.0f | %.2fM | %.2f | %.0f | %.2fM (%.2f-%.2f)"
            row = row " | %.1f (%.1f) | %s |\n"
            printf row, fname(fmts[f]), name, bytes / 1e6 / wall, n / wall / 1e6, cpu / wall,
                bytes / 1e6 / cpu, n / cpu / 1e6, n / cpu_hi / 1e6, n / cpu_lo / 1e6,
                rss / 1024, rss_max / 1024, ratio
        }
    }
    print ""
    print "Targets (weir, per core, end to end):"
    for (f = 1; f <= nf; f++) {
        bytes = fmts[f] == "json" ? jb : cb
        goal = fmts[f] == "json" ? 400 : 600
        mbc = bytes / 1e6 / wcpu[fmts[f]]
        r = core[fmts[f] " baseline"] / wcpu[fmts[f]]
        fmt = "- %s: %.0f MB/s per core vs >= %d: %s; %.2f of the baseline per core"
        fmt = fmt " vs >= 0.50: %s; peak RSS %.1f MiB vs < 64: %s\n"
        printf fmt, fname(fmts[f]), mbc, goal, verdict(mbc >= goal), r, verdict(r >= 0.5),
            wrss[fmts[f]] / 1024, verdict(wrss[fmts[f]] < 65536)
    }
}' "$RAW"
} | tee "$OUT/stateless.md"
echo >&2
echo "raw figures: $RAW; this report: $OUT/stateless.md" >&2
