#!/usr/bin/env bash
# log_connector.sh — end-to-end tests of the 'log' SQL connector: topics made
# and filled with `weir topic create` / `weir produce`, a bounded SQL job from
# one topic to another (filter + projection) checked with `weir consume`, a
# group id job and `weir groups` lag, and a file -> log -> log -> file pipeline
# at parallelism 2 that keeps every record exactly once.  Every wait is bounded
# (timeout).
#
#   bash tests/e2e/log_connector.sh build/weir   standalone: "log_connector: N passed, N failed"
#   . tests/e2e/log_connector.sh                 from tests/e2e/run.sh (after log.sh):
#                                                adds to its pass/fail counts
set -u
if [ "$(type -t check)" != function ]; then     # standalone: our own harness
    WEIR=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
    LC_T=$(mktemp -d /tmp/weir-e2e-logc.XXXXXX)
    trap 'rm -rf "$LC_T"' EXIT
    pass=0; fail=0; LC_STANDALONE=1
    ok()  { pass=$((pass + 1)); }
    bad() { fail=$((fail + 1)); echo "FAIL: $1"; [ -n "${2:-}" ] && echo "$2" | head -20; }
    check() { local name=$1; shift; if "$@"; then ok; else bad "$name" "$(cat out err 2>/dev/null)"; fi; }
else
    LC_T=$(mktemp -d /tmp/weir-e2e-logc.XXXXXX); LC_STANDALONE=0
fi
LC_OLDPWD=$PWD
cd "$LC_T"
export WEIR_DATA_DIR=$LC_T/data
W=$WEIR

# --- topic -> SQL (filter, projection) -> topic -------------------------------------------
"$W" topic create in_topic --partitions 3 >out 2>err; check "create in_topic" test $? -eq 0
"$W" topic create out_topic --partitions 2 >out 2>err; check "create out_topic" test $? -eq 0
for i in $(seq 1 20); do echo "{\"id\":$i,\"name\":\"n$i\",\"amount\":$((i * 10))}"; done |
    timeout 20 "$W" produce in_topic >out 2>err
check "produce 20 records" test $? -eq 0
cat > job1.sql <<'SQL'
CREATE TABLE src (id BIGINT, name STRING, amount BIGINT)
  WITH ('connector' = 'log', 'topic' = 'in_topic', 'format' = 'json',
        'scan.bounded.mode' = 'latest-offset');
CREATE TABLE dst (id BIGINT, label STRING)
  WITH ('connector' = 'log', 'topic' = 'out_topic', 'format' = 'json', 'key.fields' = 'id');
INSERT INTO dst SELECT id, UPPER(name) FROM src WHERE amount > 150;
SQL
timeout 60 "$W" run job1.sql -q -p 1 >out 2>err; check "log -> log job exits 0" test $? -eq 0
timeout 20 "$W" consume out_topic --from-beginning --max-messages 5 --timeout-ms 3000 >out 2>err
check "consume out_topic exits 0" test $? -eq 0
sort -t: -k2 -n out | sed 's/^{"id":\([0-9]*\),"label":"\(N[0-9]*\)"}$/\1 \2/' | sort -n > got1
printf '16 N16\n17 N17\n18 N18\n19 N19\n20 N20\n' > want1
cmp -s got1 want1; check "out_topic holds exactly the filtered, projected rows" test $? -eq 0
test "$(wc -l < out)" -eq 5; check "consume printed 5 records" test $? -eq 0
timeout 20 "$W" consume out_topic --from-beginning --max-messages 10 --timeout-ms 500 >out 2>err
test "$(wc -l < out)" -eq 5; check "and nothing more" test $? -eq 0

# --- metadata columns: where each record sits ------------------------------------------------
cat > job_md.sql <<'SQL'
CREATE TABLE src (id BIGINT, t STRING METADATA FROM 'topic' VIRTUAL,
  p INT METADATA FROM 'partition' VIRTUAL, o BIGINT METADATA FROM 'offset' VIRTUAL)
  WITH ('connector' = 'log', 'topic' = 'in_topic', 'format' = 'json',
        'scan.bounded.mode' = 'latest-offset');
SELECT t, p, o, id FROM src;
SQL
timeout 60 "$W" run job_md.sql -q -p 1 --no-progress >out 2>err; check "metadata job exits 0" test $? -eq 0
test "$(grep -c '^+I\[in_topic, [0-2], [0-9]*, [0-9]*\]$' out)" -eq 20
check "every record with its topic, partition and offset" test $? -eq 0
sed 's/^+I\[in_topic, \([0-9]\), \([0-9]*\), .*/\1 \2/' out | sort | uniq -d > dup
test ! -s dup; check "no two records at the same partition and offset" test $? -eq 0

# --- a group id job: lag 0 afterwards ----------------------------------------------------
cat > job2.sql <<'SQL'
CREATE TABLE src (id BIGINT) WITH ('connector' = 'log', 'topic' = 'in_topic', 'format' = 'json',
  'properties.group.id' = 'sqlgroup', 'scan.bounded.mode' = 'latest-offset');
CREATE TABLE dst (id BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO dst SELECT id FROM src;
SQL
timeout 60 "$W" run job2.sql -q -p 2 >out 2>err; check "group job exits 0" test $? -eq 0
"$W" groups sqlgroup >out 2>err; check "groups sqlgroup exits 0" test $? -eq 0
test "$(awk '$1 == "sqlgroup" {n++; s += $6} END {print n + 0, s + 0}' out)" = "3 0"
check "groups shows 3 partitions with lag 0" test $? -eq 0

# --- a missing topic is a clear error ----------------------------------------------------
cat > job3.sql <<'SQL'
CREATE TABLE src (id BIGINT) WITH ('connector' = 'log', 'topic' = 'nosuch', 'format' = 'json',
  'scan.bounded.mode' = 'latest-offset');
CREATE TABLE dst (id BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO dst SELECT id FROM src;
SQL
timeout 30 "$W" run job3.sql -q >out 2>err; check "missing topic fails" test $? -ne 0
grep -q "topic 'nosuch' does not exist.*weir topic create nosuch" err
check "missing topic names weir topic create" test $? -eq 0

# --- file -> log -> log -> file at parallelism 2: every record once ----------------------
mkdir -p in
for i in $(seq 1 3000); do echo "$i,k$((i % 17)),$((i * 3))"; done > in/data.csv
"$W" topic create mid --partitions 4 >out 2>err; check "create mid" test $? -eq 0
cat > job4.sql <<'SQL'
CREATE TABLE fsrc (id BIGINT, k STRING, v BIGINT)
  WITH ('connector' = 'filesystem', 'path' = 'in', 'format' = 'csv');
CREATE TABLE mid_w (id BIGINT, k STRING, v BIGINT)
  WITH ('connector' = 'log', 'topic' = 'mid', 'format' = 'csv', 'key.fields' = 'k');
INSERT INTO mid_w SELECT * FROM fsrc;
SQL
timeout 60 "$W" run job4.sql -q -p 2 >out 2>err; check "file -> log exits 0" test $? -eq 0
cat > job5.sql <<'SQL'
CREATE TABLE mid_r (id BIGINT, k STRING, v BIGINT)
  WITH ('connector' = 'log', 'topic' = 'mid', 'format' = 'csv',
        'scan.bounded.mode' = 'latest-offset');
CREATE TABLE fout (id BIGINT, k STRING, v BIGINT)
  WITH ('connector' = 'filesystem', 'path' = 'outdir', 'format' = 'csv');
INSERT INTO fout SELECT * FROM mid_r;
SQL
timeout 60 "$W" run job5.sql -q -p 2 >out 2>err; check "log -> file exits 0" test $? -eq 0
cat outdir/part-* 2>/dev/null | sort > got4
sort in/data.csv > want4
cmp -s got4 want4; check "every record once through the log at parallelism 2" test $? -eq 0
total=0
for p in 0 1 2 3; do
    n=$(timeout 20 "$W" consume mid --partition $p --from-beginning --timeout-ms 300 2>/dev/null | wc -l)
    total=$((total + n))
done
test "$total" -eq 3000; check "mid holds 3000 records over its partitions" test $? -eq 0

cd "$LC_OLDPWD"
if [ "$LC_STANDALONE" = 1 ]; then
    echo "log_connector: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
else
    rm -rf "$LC_T"
fi
