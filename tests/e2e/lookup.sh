#!/usr/bin/env bash
# lookup.sh — end-to-end test of processing-time lookup joins against a
# dimension that changes while the job runs.  A slow datagen (20 rows/s, a
# sequence number per row, every row the same key) joins a SQLite table (WAL)
# or a CSV file; the test changes the dimension mid-run and reads the print
# output as it grows:
#   - sqlite without cache options (Flink's jdbc default: no cache): rows
#     after the change see the new value at once, and never the old one again;
#   - sqlite with a PARTIAL cache (expire-after-write 3 s): rows well after
#     the change still see the cached old value, then the new one once the
#     entry expired; the summary and metrics JSON count cache hits;
#   - sqlite with a 2-row PARTIAL cache over a bounded input: the LRU evicts
#     (exact hit / miss counts);
#   - filesystem with 'lookup.join.cache.ttl' = '1 s': a file replaced by
#     rename is seen after the reload.
# Only local files; every wait is bounded in time and count.
#
#   bash tests/e2e/lookup.sh build/weir    standalone: prints "lookup: N passed, N failed"
#   . tests/e2e/lookup.sh                  from tests/e2e/run.sh: adds to its counts
#                                          (uses its WEIR, ok/bad/check, pass/fail)
set -u
if [ "$(type -t check)" != function ]; then     # standalone: our own harness
    WEIR=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
    LK_T=$(mktemp -d /tmp/weir-e2e-lookup.XXXXXX)
    trap 'rm -rf "$LK_T"' EXIT
    pass=0; fail=0; LK_STANDALONE=1
    ok()  { pass=$((pass + 1)); }
    bad() { fail=$((fail + 1)); echo "FAIL: $1"; [ -n "${2:-}" ] && echo "$2" | head -20; }
    check() { local name=$1; shift; if "$@"; then ok; else bad "$name" "$(cat out err 2>/dev/null)"; fi; }
else
    LK_T=$(mktemp -d /tmp/weir-e2e-lookup.XXXXXX); LK_STANDALONE=0
fi
LK_OLDPWD=$PWD
cd "$LK_T"

# the left side: 20 rows/s for ~100 s at most, key 1 every time
LK_LEFT="CREATE TABLE o (seq BIGINT, k BIGINT, p AS PROCTIME()) WITH ('connector' = 'datagen',
  'rows-per-second' = '20', 'fields.seq.kind' = 'sequence', 'fields.seq.start' = '1',
  'fields.seq.end' = '2000', 'fields.k.min' = '1', 'fields.k.max' = '1');"

# the highest sequence number printed so far (0 when none)
lk_last() { sed -n 's/^+I\[\([0-9]*\), .*/\1/p' "$1" | tail -1 | grep . || echo 0; }
# waits (at most $3 tenths of a second) until file $1 has a row with value $2
lk_wait_for() {
    for _ in $(seq 1 "$3"); do grep -q ", $2\]$" "$1" && return 0; sleep 0.1; done
    return 1
}
# stops job $1 with SIGINT (SIGKILL after 10 s); returns its exit status
lk_stop() {
    kill -INT "$1" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$1" 2>/dev/null && kill -KILL "$1"
    wait "$1"
}
# the sequence numbers of the rows of file $1 with value $2
lk_seqs() { sed -n "s/^+I\[\([0-9]*\), $2\]$/\1/p" "$1"; }

lk_new_db() {
    rm -f dim.db dim.db-wal dim.db-shm
    sqlite3 dim.db "PRAGMA journal_mode = WAL;
        CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
        INSERT INTO users VALUES (1, 'old');" >/dev/null
}

# --- sqlite, no cache: every row queries -------------------------------------------
lk_new_db
cat > nocache.sql <<SQL
$LK_LEFT
CREATE TABLE d (id BIGINT, name STRING)
  WITH ('connector' = 'sqlite', 'path' = 'dim.db', 'table-name' = 'users');
SELECT o.seq, d.name FROM o LEFT JOIN d FOR SYSTEM_TIME AS OF o.p ON o.k = d.id;
SQL
"$WEIR" run nocache.sql -p 1 --no-progress -q --state-dir st1 >nc.out 2>nc.err &
lk_pid=$!
lk_wait_for nc.out old 100; check "no cache: rows join the initial value" test $? -eq 0
sqlite3 dim.db "UPDATE users SET name = 'new' WHERE id = 1"
check "the dimension can be written while the job reads it (WAL, read-only lookups)" test $? -eq 0
lk_mark=$(lk_last nc.out)
lk_wait_for nc.out new 50; check "no cache: the change is seen within 5 s" test $? -eq 0
sleep 0.5
lk_stop $lk_pid; check "no cache job stops cleanly" test $? -eq 0
lk_first_new=$(lk_seqs nc.out new | head -1)
lk_last_old=$(lk_seqs nc.out old | tail -1)
test -n "$lk_first_new" && test "${lk_last_old:-0}" -lt "$lk_first_new"
check "no cache: no row after the first new one sees the old value" test $? -eq 0
test -n "$lk_first_new" && test "$lk_first_new" -le $((lk_mark + 20))
check "no cache: the first rows after the change see it (first new $lk_first_new, mark $lk_mark)" \
    test $? -eq 0

# --- sqlite, partial cache: the old value until the entry expires -------------------
lk_new_db
cat > partial.sql <<SQL
$LK_LEFT
CREATE TABLE d (id BIGINT, name STRING)
  WITH ('connector' = 'sqlite', 'path' = 'dim.db', 'table-name' = 'users',
        'lookup.cache' = 'PARTIAL', 'lookup.partial-cache.max-rows' = '10',
        'lookup.partial-cache.expire-after-write' = '3 s');
SELECT o.seq, d.name FROM o LEFT JOIN d FOR SYSTEM_TIME AS OF o.p ON o.k = d.id;
SQL
"$WEIR" run partial.sql -p 1 --no-progress --state-dir st2 --metrics-json pc.json \
    >pc.out 2>pc.err &
lk_pid=$!
lk_wait_for pc.out old 100; check "partial cache: rows join the initial value" test $? -eq 0
sqlite3 dim.db "UPDATE users SET name = 'new' WHERE id = 1"
lk_mark=$(lk_last pc.out)
lk_wait_for pc.out new 80; check "partial cache: the change is seen once the entry expired" \
    test $? -eq 0
sleep 0.3
lk_stop $lk_pid; check "partial cache job stops cleanly" test $? -eq 0
lk_first_new=$(lk_seqs pc.out new | head -1)
lk_last_old=$(lk_seqs pc.out old | tail -1)
# 20 rows/s: 10 rows are half a second after the change
test "${lk_last_old:-0}" -ge $((lk_mark + 10))
check "partial cache: rows after the change still see the cached value (last old $lk_last_old, mark $lk_mark)" \
    test $? -eq 0
test -n "$lk_first_new" && test "${lk_last_old:-0}" -lt "$lk_first_new"
check "partial cache: once refreshed, never the old value again" test $? -eq 0
grep -q "cache [1-9][0-9]* hits, [1-9][0-9]* misses, [1-9][0-9]* loads" pc.err
check "partial cache: the summary counts hits, misses and loads" test $? -eq 0
python3 - <<'PY'; check "partial cache: metrics JSON has the lookup join's cache counters" test $? -eq 0
import json
m = json.load(open("pc.json"))
lj = [o for o in m["operators"] if o["kind"] == "LookupJoin"]
assert len(lj) == 1, m
o = lj[0]
assert o["cache_hits"] > o["cache_misses"] >= 2, o
assert o["cache_loads"] == o["cache_misses"], o
PY

# --- sqlite, partial cache bounded to 2 rows: least recently used keys are evicted ----
lk_new_db
sqlite3 dim.db "INSERT INTO users VALUES (2, 'two'), (3, 'three')"
printf '1\n2\n3\n1\n2\n3\n1\n1\n' > keys.csv
cat > lru.sql <<SQL
CREATE TABLE o (k BIGINT, p AS PROCTIME())
  WITH ('connector' = 'filesystem', 'path' = 'keys.csv', 'format' = 'csv');
CREATE TABLE d (id BIGINT, name STRING)
  WITH ('connector' = 'sqlite', 'path' = 'dim.db', 'table-name' = 'users',
        'lookup.cache' = 'PARTIAL', 'lookup.partial-cache.max-rows' = '2');
SELECT o.k, d.name FROM o JOIN d FOR SYSTEM_TIME AS OF o.p ON o.k = d.id;
SQL
timeout 60 "$WEIR" run lru.sql -p 1 --no-progress --state-dir st4 --metrics-json lru.json \
    >lru.out 2>lru.err
check "lru job exits 0" test $? -eq 0
test "$(wc -l <lru.out)" -eq 8; check "lru: every row joined" test $? -eq 0
# 1 2 3 (evicts 1) 1 (evicts 2) 2 (evicts 3) 3 (evicts 1) 1 (evicts 2) 1: one hit
python3 - <<'PY'; check "lru: two cached rows at most: 7 misses, 1 hit" test $? -eq 0
import json
o = [o for o in json.load(open("lru.json"))["operators"] if o["kind"] == "LookupJoin"][0]
assert (o["cache_hits"], o["cache_misses"], o["cache_loads"]) == (1, 7, 7), o
assert o["state_keys"] <= 2, o
PY

# --- filesystem: the whole file is the cache, reloaded after lookup.join.cache.ttl ----
echo '1,old' > users.csv
cat > fs.sql <<SQL
$LK_LEFT
CREATE TABLE d (id BIGINT, name STRING)
  WITH ('connector' = 'filesystem', 'path' = 'users.csv', 'format' = 'csv',
        'lookup.join.cache.ttl' = '1 s');
SELECT o.seq, d.name FROM o LEFT JOIN d FOR SYSTEM_TIME AS OF o.p ON o.k = d.id;
SQL
"$WEIR" run fs.sql -p 1 --no-progress --state-dir st3 >fs.out 2>fs.err &
lk_pid=$!
lk_wait_for fs.out old 100; check "filesystem: rows join the initial file" test $? -eq 0
echo '1,new' > .users.tmp && mv .users.tmp users.csv
lk_wait_for fs.out new 60; check "filesystem: the replaced file is seen after the TTL" test $? -eq 0
sleep 0.3
lk_stop $lk_pid; check "filesystem job stops cleanly" test $? -eq 0
lk_first_new=$(lk_seqs fs.out new | head -1)
lk_last_old=$(lk_seqs fs.out old | tail -1)
test -n "$lk_first_new" && test "${lk_last_old:-0}" -lt "$lk_first_new"
check "filesystem: after the reload, never the old value again" test $? -eq 0
grep -q "cache [0-9]* hits, 0 misses, [2-9][0-9]* loads" fs.err
check "filesystem: the file was loaded more than once" test $? -eq 0

cd "$LK_OLDPWD"
if [ "$LK_STANDALONE" = 1 ]; then
    echo "lookup: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
else
    rm -rf "$LK_T"
fi
