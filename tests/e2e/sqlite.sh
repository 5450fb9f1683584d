#!/usr/bin/env bash
# sqlite.sh — end-to-end test of the 'sqlite' connector as a result store: a
# job keeps per-user totals (SUM/COUNT/MAX over a few thousand generated rows,
# with NULL amounts and many updates per user) in an SQLite table; the sqlite3
# shell reads the table while the job still runs (WAL, interval commits) and
# after a clean stop, and every row is compared with a reference python3
# computes independently from the same input file.  A second job reads the
# table back through the sqlite source.  Only local files; every wait is bounded.
#
#   bash tests/e2e/sqlite.sh build/weir    standalone: prints "sqlite: N passed, N failed"
#   . tests/e2e/sqlite.sh                  from tests/e2e/run.sh: adds to its counts
#                                          (uses its WEIR, ok/bad/check, pass/fail)
set -u
if [ "$(type -t check)" != function ]; then     # standalone: our own harness
    WEIR=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
    SQ_T=$(mktemp -d /tmp/weir-e2e-sqlite.XXXXXX)
    trap 'rm -rf "$SQ_T"' EXIT
    pass=0; fail=0; SQ_STANDALONE=1
    ok()  { pass=$((pass + 1)); }
    bad() { fail=$((fail + 1)); echo "FAIL: $1"; [ -n "${2:-}" ] && echo "$2" | head -20; }
    check() { local name=$1; shift; if "$@"; then ok; else bad "$name" "$(cat out err 2>/dev/null)"; fi; }
else
    SQ_T=$(mktemp -d /tmp/weir-e2e-sqlite.XXXXXX); SQ_STANDALONE=0
fi
SQ_OLDPWD=$PWD
cd "$SQ_T"

# --- input: 6000 orders of 40 users, fixed seed; ~10% NULL amounts, a few rows
# without a user (filtered out by the job) --------------------------------------------
mkdir in
python3 - <<'PY'
import random
r = random.Random(20261121)
with open("in/orders.csv", "w") as f:
    for i in range(6000):
        u = "" if r.random() < 0.01 else "user%02d" % r.randrange(40)
        amt = "null" if r.random() < 0.1 else str(r.randrange(-50, 1000))
        f.write("%d,%s,%s\n" % (i, u if u else "null", amt))
PY
# the reference, computed without weir: user,sum,count,count(amount),max
python3 - <<'PY' >expected.txt
import csv
tot = {}
for oid, u, amt in csv.reader(open("in/orders.csv")):
    if u == "null":
        continue
    s, n, na, mx = tot.get(u, (None, 0, 0, None))
    n += 1
    if amt != "null":
        a = int(amt)
        s = a if s is None else s + a
        na += 1
        mx = a if mx is None else max(mx, a)
    tot[u] = (s, n, na, mx)
for u in sorted(tot):
    s, n, na, mx = tot[u]
    print("%s|%s|%d|%d|%s" % (u, "" if s is None else s, n, na, "" if mx is None else mx))
PY

cat > totals.sql <<'SQL'
CREATE TABLE orders (id BIGINT, u STRING, amount INT)
  WITH ('connector' = 'filesystem', 'path' = 'in', 'format' = 'csv',
        'csv.null-literal' = 'null', 'source.monitor-interval' = '200ms');
CREATE TABLE totals (u STRING, total BIGINT, n BIGINT, n_amount BIGINT, biggest INT,
                     PRIMARY KEY (u) NOT ENFORCED)
  WITH ('connector' = 'sqlite', 'path' = 'file:results.db', 'table-name' = 'totals',
        'sink.buffer-flush.max-rows' = '100', 'sink.buffer-flush.interval' = '100ms');
INSERT INTO totals
  SELECT u, SUM(amount), COUNT(*), COUNT(amount), MAX(amount)
  FROM orders WHERE u IS NOT NULL GROUP BY u;
SQL
SQ_Q="SELECT u, total, n, n_amount, biggest FROM totals ORDER BY u"

# the job never ends by itself (monitored directory): read while it runs
"$WEIR" run totals.sql --no-progress -p 2 --state-dir st >job.out 2>job.err &
sq_pid=$!
sq_seen=0
for _ in $(seq 1 150); do            # at most ~15 s
    if [ -f results.db ] && sqlite3 results.db "$SQ_Q" >live.txt 2>/dev/null &&
       cmp -s live.txt expected.txt; then
        sq_seen=1; break
    fi
    kill -0 $sq_pid 2>/dev/null || break
    sleep 0.1
done
kill -0 $sq_pid 2>/dev/null; check "sqlite job is still running while read" test $? -eq 0
check "sqlite3 shell sees the final totals while the job runs (WAL, interval commit)" \
    test $sq_seen -eq 1
kill -INT $sq_pid 2>/dev/null
sq_rc=1
for _ in $(seq 1 100); do kill -0 $sq_pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $sq_pid 2>/dev/null; then kill -KILL $sq_pid; fi
wait $sq_pid; sq_rc=$?
check "sqlite job stops cleanly on SIGINT" test $sq_rc -eq 0

sqlite3 results.db "$SQ_Q" >got.txt 2>err
diff expected.txt got.txt >out
check "every user's totals equal the python reference, row by row" test $? -eq 0
test "$(wc -l <got.txt)" -eq 40; check "one row per user (40)" test $? -eq 0
test "$(sqlite3 results.db 'SELECT count(DISTINCT u) = count(*) FROM totals')" = 1
check "the primary key holds: no duplicate users" test $? -eq 0
test "$(sqlite3 results.db 'PRAGMA journal_mode')" = wal; check "database is in WAL mode" test $? -eq 0
grep -q "sink   totals" job.err; check "job summary names the sqlite sink" test $? -eq 0

# read the table back through the sqlite source (bounded: the job ends by itself)
cat > readback.sql <<'SQL'
CREATE TABLE totals (u STRING, total BIGINT, n BIGINT, n_amount BIGINT, biggest INT)
  WITH ('connector' = 'sqlite', 'path' = 'results.db', 'table-name' = 'totals');
SELECT u, total, n, n_amount, biggest FROM totals;
SQL
timeout 60 "$WEIR" run readback.sql --no-progress -q -p 1 --state-dir st2 >out 2>err
check "sqlite source job exits 0" test $? -eq 0
python3 - <<'PY' >readback.txt
import re
for line in open("out"):
    m = re.match(r"^\+I\[(.*)\]$", line.strip())
    if m:
        print("|".join("" if f == "null" else f for f in m.group(1).split(", ")))
PY
sort readback.txt | diff expected.txt - >out
check "the sqlite source reads back exactly the reference rows" test $? -eq 0

# a rerun over the same input (a replay after a restart) changes nothing: upserts.
# Bounded this time (no monitoring), so it ends by itself after the whole input.
sed "s/, 'source.monitor-interval' = '200ms'//" totals.sql >replay.sql
grep -q monitor replay.sql; check "replay job reads a bounded input" test $? -ne 0
timeout 60 "$WEIR" run replay.sql --no-progress -q -p 1 --state-dir st3 >out 2>err
check "replay job exits 0" test $? -eq 0
sqlite3 results.db "$SQ_Q" >got2.txt 2>err
diff expected.txt got2.txt >out
check "replaying the whole input leaves the same totals (idempotent upserts)" test $? -eq 0

cd "$SQ_OLDPWD"
if [ "$SQ_STANDALONE" = 1 ]; then
    echo "sqlite: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
else
    rm -rf "$SQ_T"
fi
