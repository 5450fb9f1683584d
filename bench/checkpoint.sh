#!/usr/bin/env bash
# bench/checkpoint.sh — what checkpoints cost.
#
#   bench/checkpoint.sh [WEIR]     (or: bench/run.sh build/weir checkpoint)
#
# 1. Throughput: Nexmark q5 (the published text, from NEXMARK_QUERIES, default
#    ../shared/nexmark) over EVENTS events (default 10M) with checkpoints every
#    1 s and with checkpoints off, alternating, RUNS rounds (default 3): the
#    median events/s per core (CPU time) of each and their ratio.
# 2. Big state: a GROUP BY holding STATE_KEYS keys (default 4M) of ~260 bytes
#    each — over 1 GiB of keyed state — with a checkpoint every 3 s; then a
#    stop with a savepoint and a restore from it.  Prints the sync pause of
#    each checkpoint (the time the data path stopped; p99 = the largest of a
#    few; the stop savepoint, which copies at once, is left out), how long
#    the lazy state copy, the file writing and a whole checkpoint took, its
#    size, and the restore time.
#
# Environment: EVENTS, RUNS, STATE_KEYS, NEXMARK_QUERIES, TIMEOUT (s per run),
# PARTS (default "1 2": which of the two to run).
# Only local files; every run is bounded by TIMEOUT.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/bench/lib.sh"
WEIR=${1:-$ROOT/build/weir}
[[ $WEIR = /* ]] || WEIR=$PWD/$WEIR
EVENTS=${EVENTS:-10000000}
RUNS=${RUNS:-3}
STATE_KEYS=${STATE_KEYS:-4000000}
TIMEOUT=${TIMEOUT:-600}
PARTS=" ${PARTS:-1 2} "
QDIR=${NEXMARK_QUERIES:-$ROOT/../shared/nexmark}
OUT=$ROOT/bench/out/checkpoint
PY=${PYTHON:-python3}
die() { echo "checkpoint.sh: $*" >&2; exit 1; }
[ -x "$WEIR" ] || die "no weir binary at '$WEIR' (make build/weir)"
[ -d "$QDIR" ] || die "no Nexmark queries at '$QDIR': set NEXMARK_QUERIES"
rm -rf "$OUT"; mkdir -p "$OUT/bin"
cp "$WEIR" "$OUT/bin/weir"; WEIR=$OUT/bin/weir
gcc -std=c17 -O2 -Wall -Wextra -Werror -o "$OUT/bin/measure" "$ROOT/bench/measure.c" \
    || die "cannot build bench/measure.c"

echo "# bench/checkpoint — $(date -u '+%F %H:%M UTC')"
echo "machine: $(bench_machine)"
echo "commit: $(bench_commit)"
echo

# ---- 1. q5 with and without checkpoints ---------------------------------------------
if [[ $PARTS == *" 1 "* ]]; then
q5() { # interval
    echo "SET 'execution.checkpointing.interval' = '$1';"
    "$PY" "$ROOT/bench/nexmark_run.py" assemble "$QDIR" q5 TPS=100000 EVENTS_NUM="$EVENTS"
}
q5 0 >"$OUT/q5_off.sql" || die "cannot assemble q5"
q5 1s >"$OUT/q5_on.sql"
: >"$OUT/q5.raw"
for r in $(seq 1 "$RUNS"); do
    for mode in off on; do
        rm -rf "$OUT/st"
        : >"$OUT/m.tmp"
        "$OUT/bin/measure" "$OUT/m.tmp" "$TIMEOUT" "$WEIR" run "$OUT/q5_$mode.sql" -q \
            --no-progress -p 2 --state-dir "$OUT/st" --metrics-json "$OUT/q5_$mode.json" \
            || die "q5 ($mode) failed in round $r"
        read -r wall user sys rss _ <"$OUT/m.tmp"
        n=$("$PY" -c "import json; print(json.load(open('$OUT/q5_$mode.json')).get('checkpoints', {}).get('completed', 0))")
        echo "$mode $r $wall $user $sys $rss $n" >>"$OUT/q5.raw"
    done
done
"$PY" - "$OUT/q5.raw" "$EVENTS" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
ev = int(sys.argv[2])
def med(mode, f):
    return statistics.median(f(r) for r in rows if r[0] == mode)
core = lambda r: ev / (float(r[3]) + float(r[4]))
wall = lambda r: ev / float(r[2])
print("## Nexmark q5, %d events, -p 2, %d rounds (medians)" % (ev, len(rows) // 2))
print()
print("| checkpoints | events/s | events/s per core | checkpoints taken |")
print("| --- | ---: | ---: | ---: |")
for mode, name in (("off", "off"), ("on", "every 1 s")):
    print("| %s | %s | %s | %s |" % (name, format(int(med(mode, wall)), ","),
          format(int(med(mode, core)), ","), int(med(mode, lambda r: float(r[6])))))
loss = 1 - med("on", core) / med("off", core)
print()
print("throughput loss per core with checkpoints every 1 s: %.1f%% (target <= 5%%)" % (100 * loss))
PY
echo
fi
[[ $PARTS == *" 2 "* ]] || exit 0

# ---- 2. big keyed state: pause, checkpoint, restore ----------------------------------
ROWS=$((STATE_KEYS * 100))   # never reached: the run is stopped (SIGTERM)
big() { # rows
    cat <<SQL
SET 'execution.checkpointing.interval' = '3s';
SET 'execution.checkpointing.timeout' = '5 min';
CREATE TABLE src (id BIGINT, s STRING) WITH ('connector' = 'datagen', 'rows-per-second' = '0',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '$1',
  'fields.s.length' = '200');
CREATE TABLE bh (k BIGINT, n BIGINT, s STRING) WITH ('connector' = 'blackhole');
INSERT INTO bh SELECT id % $STATE_KEYS, COUNT(*), MAX(s) FROM src GROUP BY id % $STATE_KEYS;
SQL
}
big "$ROWS" >"$OUT/big.sql"
rm -rf "$OUT/bst"
# run until the state is built and a few full checkpoints are taken, then stop
# with a savepoint (SIGTERM)
"$WEIR" run "$OUT/big.sql" -q --no-progress -p 2 --state-dir "$OUT/bst" \
    --metrics-json "$OUT/big1.json" 2>"$OUT/big1.err" & pid=$!
for _ in $(seq 1 "$TIMEOUT"); do
    kill -0 $pid 2>/dev/null || break
    n=$(ls -d "$OUT"/bst/checkpoints/chk-* 2>/dev/null | wc -l)
    keys=$("$WEIR" ctl "$OUT/bst" status 2>/dev/null | sed -n 's/^state GroupAggregate.*: \([0-9]*\) keys.*/\1/p')
    # enough once the state is complete and three checkpoints completed after that
    if [ "${keys:-0}" -ge "$STATE_KEYS" ]; then
        full=${full:-$("$WEIR" ctl "$OUT/bst" status | sed -n 's/^checkpoints: \([0-9]*\) completed.*/\1/p')}
        done_n=$("$WEIR" ctl "$OUT/bst" status | sed -n 's/^checkpoints: \([0-9]*\) completed.*/\1/p')
        [ "$done_n" -ge $((full + 3)) ] && break
    fi
    sleep 1
done
peak=$(grep VmHWM /proc/$pid/status 2>/dev/null | awk '{print $2}')
kill -TERM $pid; wait $pid || die "the big-state job failed: $(tail -3 "$OUT/big1.err")"
# the restore: a second run resumes from the stop savepoint; once it answers
# on its control socket (restored, running) it is stopped again
"$WEIR" run "$OUT/big.sql" -q --no-progress -p 2 --state-dir "$OUT/bst" \
    --metrics-json "$OUT/big2.json" 2>"$OUT/big2.err" & pid=$!
for _ in $(seq 1 $((TIMEOUT * 10))); do
    "$WEIR" ctl "$OUT/bst" status 2>/dev/null | grep -q "^restored from: .*sp-" && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
done
kill -TERM $pid; wait $pid || die "the restored run failed: $(tail -3 "$OUT/big2.err")"
"$PY" - "$OUT/big1.json" "$OUT/big2.json" "$STATE_KEYS" "${peak:-0}" <<'PY'
import json, sys
m1, m2 = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
keys, peak = int(sys.argv[3]), int(sys.argv[4])
state = sum(o["state_bytes"] for o in m1["operators"] if o["kind"] == "GroupAggregate")
# the periodic checkpoints; the stop savepoint copies at once (nothing runs
# after it) and is left out
hist = [h for h in m1["checkpoints"]["history"] if not h["failed"] and h["kind"] == "checkpoint"]
full = [h for h in hist if h["bytes"] >= 0.5 * max(x["bytes"] for x in hist)]
pauses = sorted(h["sync_pause_us"] / 1000 for h in full)
p99 = pauses[min(len(pauses) - 1, int(0.99 * len(pauses)))] if pauses else float("nan")
dur = max(h["duration_us"] for h in full) / 1e6 if full else float("nan")
print("## %d keys of keyed state (GROUP BY, -p 2)" % keys)
print()
print("state held: %.2f GiB (operator metrics); peak RSS of the run %.2f GiB" %
      (state / 2**30, peak / 2**20))
print("full checkpoints: %d, %.2f GiB each on disk" % (len(full), full[-1]["bytes"] / 2**30 if full else 0))
print("sync pause (ms), each full checkpoint: %s" % ", ".join("%.0f" % p for p in pauses))
print("sync pause p99: %.0f ms (target <= 50 ms)" % p99)
print("state copy (lazy, between batches), each: %s s" %
      ", ".join("%.2f" % (h.get("copy_us", 0) / 1e6) for h in full))
print("writing and syncing the files, each: %s s" %
      ", ".join("%.2f" % (h["async_us"] / 1e6) for h in full))
print("full checkpoint, trigger to complete: %.2f s (target <= 5 s)" % dur)
print("restore (find, check, read and apply the savepoint): %.2f s (target <= 5 s)" %
      (m2["checkpoints"]["restore_ms"] / 1000))
PY
