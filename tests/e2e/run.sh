#!/usr/bin/env bash
# End-to-end tests of the weir command line: exit codes, messages, EXPLAIN,
# progress, clean stop on SIGINT/SIGTERM, statement sets, metrics JSON.
# Every wait is bounded.  Prints "e2e: N passed, N failed" last.
set -u
WEIR=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T=$(mktemp -d /tmp/weir-e2e.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T"
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; [ -n "${2:-}" ] && echo "$2" | head -20; }
check() { # name, condition-command...
    local name=$1; shift
    if "$@"; then ok; else bad "$name" "$(cat out err 2>/dev/null)"; fi
}

# --- basic commands ---------------------------------------------------------------
"$WEIR" version >out 2>err; check "version exits 0" test $? -eq 0
grep -q '^weir ' out; check "version prints name" test $? -eq 0
"$WEIR" >out 2>err; check "no args exits 2" test $? -eq 2
"$WEIR" frobnicate >out 2>err; rc=$?
check "unknown command exits 2" test $rc -eq 2
grep -q "commands: run, explain, validate" err; check "unknown command lists commands" test $? -eq 0
"$WEIR" run missing.sql >out 2>err; check "missing file exits 2" test $? -eq 2
grep -q "cannot open 'missing.sql'" err; check "missing file message" test $? -eq 0
"$WEIR" run --bogus x.sql >out 2>err; check "bad flag exits 2" test $? -eq 2
grep -q "valid: --state-dir" err; check "bad flag lists valid flags" test $? -eq 0

# --- validate / explain -----------------------------------------------------------
cat > good.sql <<'SQL'
CREATE TABLE src (id BIGINT, name STRING, amount DOUBLE)
  WITH ('connector' = 'datagen', 'number-of-rows' = '100',
        'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '100');
CREATE TABLE out_a (id BIGINT, name STRING) WITH ('connector' = 'blackhole');
CREATE TABLE out_b (id BIGINT, big BOOLEAN) WITH ('connector' = 'blackhole');
EXECUTE STATEMENT SET BEGIN
  INSERT INTO out_a SELECT id, UPPER(name) FROM src WHERE id % 2 = 0;
  INSERT INTO out_b SELECT id, amount > 100 FROM src;
END;
SQL
"$WEIR" validate good.sql >out 2>err; check "validate ok exits 0" test $? -eq 0
grep -q "good.sql: ok (2 sinks)" out; check "validate says ok" test $? -eq 0
"$WEIR" explain good.sql >out 2>err; check "explain exits 0" test $? -eq 0
for s in "== Logical Plan ==" "== Rewrites ==" "== Physical Plan ==" "projection push-down: src reads" "read once"; do
    grep -qF "$s" out; check "explain shows '$s'" test $? -eq 0
done
test "$(grep -c '^Source: src' out)" -eq 1; check "statement set reads the source once" test $? -eq 0

# an aggregation over a wide view: the Calc in front of the exchange keeps only
# the columns the aggregation reads
cat > wide.sql <<'SQL'
CREATE TABLE src (id BIGINT, name STRING, amount DOUBLE, note STRING, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts) WITH ('connector' = 'datagen', 'number-of-rows' = '100');
CREATE VIEW v AS SELECT id % 4 AS k, UPPER(name) AS n, amount, note, ts FROM src WHERE amount > 0;
CREATE TABLE out_w (k BIGINT, c BIGINT, s DOUBLE) WITH ('connector' = 'blackhole');
INSERT INTO out_w SELECT k, COUNT(*), SUM(amount) FROM TABLE(TUMBLE(TABLE v, DESCRIPTOR(ts),
  INTERVAL '1' SECOND)) GROUP BY k, window_start, window_end;
SQL
"$WEIR" explain wide.sql -p 2 >out 2>err; check "explain wide view exits 0" test $? -eq 0
grep -qF "calc pruning: window aggregate reads 3 of 5 columns" out
check "explain: calc pruning under a window aggregate" test $? -eq 0
grep -qF "select=[MOD(id, 4), amount, ts])" out
check "the calc before the exchange computes only what is read" test $? -eq 0

# CROSS JOIN UNNEST is Flink's Correlate over $UNNEST_ROWS$1; the left columns
# nothing above it reads are not copied into every expanded row
cat > unnest.sql <<'SQL'
CREATE TABLE src (id BIGINT, name STRING, tags ARRAY<STRING>)
  WITH ('connector' = 'datagen', 'number-of-rows' = '10');
CREATE TABLE out_u (tag STRING, c BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO out_u SELECT tag, COUNT(*) FROM src CROSS JOIN UNNEST(src.tags) AS u (tag) GROUP BY tag;
SQL
"$WEIR" explain unnest.sql >out 2>err; check "explain unnest exits 0" test $? -eq 0
grep -qF 'Correlate(invocation=[$UNNEST_ROWS$1($cor0.tags)], correlate=[table($UNNEST_ROWS$1($cor0.tags))], select=[tags,tag], joinType=[INNER])' out
check "explain: UNNEST is a Correlate" test $? -eq 0
grep -qF "calc pruning: unnest copies 1 of 3 columns of its input" out
check "explain: the unnest copies only the columns read above it" test $? -eq 0

cat > bad.sql <<'SQL'
CREATE TABLE src (id BIGINT) WITH ('connector' = 'datagen');
CREATE TABLE out_a (id BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO out_a SELECT idd FROM src;
SQL
"$WEIR" validate bad.sql >out 2>err; check "validate bad exits 1" test $? -eq 1
grep -q "^bad.sql:3:26: error: column 'idd' not found; did you mean 'id'?" err
check "bad column: file:line:col and suggestion" test $? -eq 0
grep -q '^  INSERT INTO out_a SELECT idd FROM src;' err; check "error shows the line" test $? -eq 0
grep -q '^                           \^~~' err; check "error shows a caret" test $? -eq 0

# --- running ------------------------------------------------------------------------
"$WEIR" run good.sql --no-progress --metrics-json m.json >out 2>err; check "run exits 0" test $? -eq 0
grep -q "job 'good' finished" err; check "summary printed" test $? -eq 0
python3 - <<'PY'; check "metrics json: one source, 100 rows, sinks 50 and 100" test $? -eq 0
import json
m = json.load(open("m.json"))
assert len(m["sources"]) == 1 and m["sources"][0]["rows"] == 100, m
rows = sorted(s["rows"] for s in m["sinks"])
assert rows == [50, 100], m
PY

# state bytes count what operators hold outside their tables' slots: the
# DISTINCT sets of a GROUP BY (20,000 distinct values of 8 bytes at least) and
# a regular join's stored rows (20,000 rows a side, half of them with a
# 1,000-character string: 20 MB, four times the tables), and a Top-N's rows
cat > statebytes.sql <<'SQL'
CREATE TABLE s (k INT, v BIGINT, pad STRING) WITH ('connector' = 'datagen',
  'number-of-rows' = '20000', 'rows-per-second' = '0', 'fields.k.min' = '0', 'fields.k.max' = '0',
  'fields.v.kind' = 'sequence', 'fields.v.start' = '1', 'fields.v.end' = '20000',
  'fields.pad.length' = '1000');
CREATE TABLE o1 (k INT, n BIGINT) WITH ('connector' = 'blackhole');
CREATE TABLE o2 (v BIGINT, pad STRING) WITH ('connector' = 'blackhole');
INSERT INTO o1 SELECT k, COUNT(DISTINCT v) FROM s GROUP BY k;
INSERT INTO o2 SELECT a.v, b.pad FROM s a JOIN s b ON a.v = b.v + 1000000;
CREATE TABLE o3 (v BIGINT, pad STRING) WITH ('connector' = 'blackhole');
INSERT INTO o3 SELECT v, pad FROM (SELECT v, pad, ROW_NUMBER() OVER (PARTITION BY v
  ORDER BY pad) AS rn FROM s) WHERE rn = 1;
SQL
"$WEIR" run statebytes.sql --no-progress -q -p 1 --metrics-json sb.json >out 2>err
check "state bytes job exits 0" test $? -eq 0
python3 - <<'PY'; check "metrics json: state bytes include DISTINCT sets and join rows, disk bytes the spill files; retractions out" test $? -eq 0
import json
m = json.load(open("sb.json"))
ops = {o["kind"]: o for o in m["operators"]}
g, j = ops["GroupAggregate"], ops["Join"]
assert g["state_keys"] == 1 and g["state_bytes"] >= 20000 * 8, g
assert j["state_keys"] == 40000 and j["state_bytes"] >= 20000 * 1000, j
r = ops["Rank"]   # a top-1 of 20,000 partitions: their rows
assert r["state_keys"] == 20000 and r["state_bytes"] >= 20000 * 1000, r
# what the spill files hold on disk, past the newest rows they keep in memory
assert g["state_disk_bytes"] == 0, g
assert j["state_disk_bytes"] > 0 and r["state_disk_bytes"] > 0, (j, r)
# retractions out: the one-key GROUP BY's -U for every row after the first
# (no mini-batch), none from the insert-only join and the top-1s
assert g["retractions"] == 19999 and g["rows_out"] == 39999, g
assert j["retractions"] == 0 and r["retractions"] == 0, (j, r)
PY

# an unbounded job stops cleanly on SIGINT and on SIGTERM, flushing its sink
cat > forever.sql <<'SQL'
CREATE TABLE src (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '1000');
CREATE TABLE out_f (id BIGINT) WITH ('connector' = 'filesystem', 'path' = 'outdir', 'format' = 'csv');
INSERT INTO out_f SELECT id FROM src;
SQL
for sig in INT TERM; do
    rm -rf outdir
    "$WEIR" run forever.sql --no-progress >out 2>err & pid=$!
    sleep 1.5
    kill -$sig $pid
    for _ in $(seq 1 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
    if kill -0 $pid 2>/dev/null; then kill -9 $pid; bad "SIG$sig stops the job within 5 s"; continue; fi
    wait $pid; rc=$?
    check "SIG$sig exits 0" test $rc -eq 0
    grep -q "job 'forever' stopped" err; check "SIG$sig summary says stopped" test $? -eq 0
    n=$(cat outdir/part-* 2>/dev/null | wc -l)
    check "SIG$sig: sink files committed ($n rows)" test "$n" -gt 100
done

# an unbounded filesystem source picks up files that appear while it runs
mkdir -p mon
echo '1,a' > mon/f1.csv
cat > mon.sql <<'SQL'
CREATE TABLE src (id INT, s STRING) WITH ('connector' = 'filesystem', 'path' = 'mon',
  'format' = 'csv', 'source.monitor-interval' = '200ms');
CREATE TABLE out_p (id INT, s STRING) WITH ('connector' = 'print');
INSERT INTO out_p SELECT id, UPPER(s) FROM src;
SQL
"$WEIR" run mon.sql -p 1 --no-progress >out 2>err & pid=$!
sleep 0.7
echo '2,b' > mon/f2.csv
printf '3,c\n4,d\n' > mon/.f3.tmp && mv mon/.f3.tmp mon/f3.csv
for _ in $(seq 1 50); do [ "$(wc -l < out)" -ge 4 ] && break; sleep 0.1; done
kill -INT $pid
for _ in $(seq 1 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -9 $pid 2>/dev/null
wait $pid; check "monitored source exits 0 on SIGINT" test $? -eq 0
test "$(sort out | tr '\n' ' ')" = "+I[1, A] +I[2, B] +I[3, C] +I[4, D] "
check "monitored source read files added while running (hidden temp file skipped)" test $? -eq 0

# progress line while running
cat > slow.sql <<'SQL'
CREATE TABLE src (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '500', 'number-of-rows' = '1200');
CREATE TABLE out_s (id BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO out_s SELECT id FROM src;
SQL
timeout 20 "$WEIR" run slow.sql --progress >out 2>err; check "progress run exits 0" test $? -eq 0
grep -q "in src: .* | out out_s: " err; check "progress line shows source and sink" test $? -eq 0

# a bare SELECT prints its rows like the SQL client
cat > q.sql <<'SQL'
SELECT 1 + 1 AS two, 'x' || 'y' AS xy;
SQL
"$WEIR" run q.sql -q >out 2>err; check "bare select exits 0" test $? -eq 0
test "$(cat out)" = "+I[2, xy]"; check "bare select prints +I[2, xy]" test $? -eq 0

# docs/CONNECTORS.md is generated from the connectors' option tables: it must be current
REPO=$(cd "$(dirname "$WEIR")/.." && pwd)
if [ -f "$REPO/docs/CONNECTORS.md" ]; then
    "$WEIR" connectors > connectors.md
    cmp -s connectors.md "$REPO/docs/CONNECTORS.md"
    check "docs/CONNECTORS.md is current (regenerate: weir connectors > docs/CONNECTORS.md)" test $? -eq 0
fi

# --- the Nexmark queries: tests/e2e/nexmark.sh, whose counts join these ------------------
bash "$E2E_DIR/nexmark.sh" "$WEIR" >nexmark.out 2>&1
grep -v '^nexmark: [0-9]* passed, [0-9]* failed$' nexmark.out
counts=$(sed -n 's/^nexmark: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' nexmark.out | tail -1)
if [ -n "$counts" ]; then
    pass=$((pass + ${counts% *})); fail=$((fail + ${counts#* }))
else
    bad "tests/e2e/nexmark.sh printed no counts" "$(tail -20 nexmark.out)"
fi

. "$E2E_DIR/log.sh"   # the durable log's console tools: its checks add to pass/fail
. "$E2E_DIR/log_connector.sh"   # the 'log' SQL connector: adds to pass/fail
. "$E2E_DIR/sqlite.sh"   # the sqlite result store: adds to pass/fail
. "$E2E_DIR/lookup.sh"   # lookup joins against a changing dimension: adds to pass/fail
. "$E2E_DIR/checkpoint.sh"   # checkpoints, kill -9 recovery, savepoints: adds to pass/fail
echo "e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
