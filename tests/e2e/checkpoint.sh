#!/usr/bin/env bash
# checkpoint.sh — end-to-end tests of checkpoints and exactly-once recovery.
#
# Crash tests: a windowed query, an updating query into SQLite, a join and a
# Top-N (also with their rows in spill files) and a job with several sinks run
# over bounded, rate-limited generated input with checkpoints every 150 ms;
# tests/e2e/crash.py kills each with SIGKILL at random moments (20 times),
# resuming it each time from its state directory (some of them with another
# parallelism), and the committed output must be
# identical to an uninterrupted run's; the same for the collector path, a
# tailed file into a topic (every line once).  Then: savepoint -> stop -> resume
# (weir ctl and SIGTERM), --from, a corrupt checkpoint (the previous one is
# used), a checkpoint that times out, a full disk while a checkpoint is
# written (the job goes on), and state that no longer fits the query.
#
#   bash tests/e2e/checkpoint.sh build/weir    standalone
#   . tests/e2e/checkpoint.sh                  from tests/e2e/run.sh (adds to its counts)
set -u
if [ "$(type -t check)" != function ]; then
    WEIR=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
    CK_T=$(mktemp -d /tmp/weir-e2e-ckpt.XXXXXX)
    trap 'rm -rf "$CK_T"' EXIT
    pass=0; fail=0; CK_STANDALONE=1
    ok()  { pass=$((pass + 1)); }
    bad() { fail=$((fail + 1)); echo "FAIL: $1"; [ -n "${2:-}" ] && echo "$2" | head -20; }
    check() { local name=$1; shift; if "$@"; then ok; else bad "$name" "$(cat out err 2>/dev/null)"; fi; }
else
    CK_T=$(mktemp -d /tmp/weir-e2e-ckpt.XXXXXX); CK_STANDALONE=0
fi
CK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CK_OLDPWD=$PWD
cd "$CK_T"

# The input: ROWS generated rows; RATE rows/s in the crash runs (the
# reference run reads as fast as it can).  Event time: 10 ms per row.
ROWS=24000
src_ddl() { # name, rate
    cat <<SQL
CREATE TABLE $1 (id BIGINT, ts AS TO_TIMESTAMP_LTZ(id * 10, 3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH ('connector' = 'datagen', 'rows-per-second' = '$2',
        'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '$ROWS');
SQL
}
header() { # rate
    echo "SET 'execution.checkpointing.interval' = '150ms';"
    src_ddl events "$1"
}
job_window() { header "$1"; cat <<'SQL'
CREATE TABLE out_w (k BIGINT, ws TIMESTAMP(3), n BIGINT, s BIGINT)
  WITH ('connector' = 'filesystem', 'path' = 'out_w', 'format' = 'csv');
INSERT INTO out_w SELECT id % 7, window_start, COUNT(*), SUM(id)
  FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '5' SECOND))
  GROUP BY id % 7, window_start, window_end;
SQL
}
job_sqlite() { header "$1"; cat <<'SQL'
CREATE TABLE totals (k BIGINT, n BIGINT, s BIGINT, m BIGINT, PRIMARY KEY (k) NOT ENFORCED)
  WITH ('connector' = 'sqlite', 'path' = 'res.db', 'table-name' = 'totals');
INSERT INTO totals SELECT id % 53, COUNT(*), SUM(id), MAX(id) FROM events GROUP BY id % 53;
SQL
}
job_join() { header "$1"; cat <<'SQL'
CREATE TABLE dim (d BIGINT, name STRING)
  WITH ('connector' = 'datagen', 'number-of-rows' = '1000', 'rows-per-second' = '0',
        'fields.d.kind' = 'sequence', 'fields.d.start' = '0', 'fields.d.end' = '999',
        'fields.name.length' = '1');
CREATE TABLE out_j (id BIGINT, d BIGINT)
  WITH ('connector' = 'filesystem', 'path' = 'out_j', 'format' = 'csv');
INSERT INTO out_j SELECT e.id, d.d FROM events e JOIN dim d ON e.id % 1000 = d.d;
SQL
}
# the join with every stored row in a spill file (weir.state.spill.threshold
# = 0): checkpoints read the rows back from it, restores rebuild it
job_join_spilled() { echo "SET 'weir.state.spill.threshold' = '0';"; job_join "$1"; }
# Top-3 per key with every kept row in a spill file, into SQLite by (key,
# rank): the scores are distinct (a bijection of 1..24000 mod a prime), so the
# final table does not depend on how the instances' rows interleave
job_topn_spilled() { echo "SET 'weir.state.spill.threshold' = '0';"; header "$1"; cat <<'SQL'
CREATE TABLE totals (k BIGINT, rn BIGINT, id BIGINT, PRIMARY KEY (k, rn) NOT ENFORCED)
  WITH ('connector' = 'sqlite', 'path' = 'res.db', 'table-name' = 'totals');
INSERT INTO totals SELECT k, rn, id FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY score DESC) AS rn
  FROM (SELECT id % 37 AS k, id, (id * 7919) % 24001 AS score FROM events))
WHERE rn <= 3;
SQL
}
# An interval join whose rows (300-byte pads) fill several chunks of each
# side's log per instance, so chunks go while checkpoints are being written:
# a pair meets iff both rows are stored (no row arrives past its expiry: the
# watermark trails the rows by 1 s), so the pairs do not depend on timing
job_interval() { header "$1"; cat <<'SQL'
CREATE TABLE out_i (a BIGINT, b BIGINT, n INT)
  WITH ('connector' = 'filesystem', 'path' = 'out_i', 'format' = 'csv');
INSERT INTO out_i SELECT l.id, r.id, CHAR_LENGTH(l.pad) + CHAR_LENGTH(r.pad)
  FROM (SELECT id, ts, RPAD(CAST(id AS STRING), 300, 'x') AS pad FROM events) l,
       (SELECT id, ts, RPAD(CAST(id AS STRING), 200, 'y') AS pad FROM events
        WHERE id % 20 = 0) r
  WHERE l.id % 13 = r.id % 13 AND l.ts BETWEEN r.ts - INTERVAL '2' SECOND AND r.ts;
SQL
}
job_multi() { header "$1"; cat <<'SQL'
CREATE TABLE out_m (id BIGINT, b BIGINT)
  WITH ('connector' = 'filesystem', 'path' = 'out_m', 'format' = 'csv');
CREATE TABLE totals (k BIGINT, n BIGINT, s BIGINT, PRIMARY KEY (k) NOT ENFORCED)
  WITH ('connector' = 'sqlite', 'path' = 'res.db', 'table-name' = 'totals');
EXECUTE STATEMENT SET BEGIN
INSERT INTO out_m SELECT id, id % 3 FROM events WHERE id % 5 = 0;
INSERT INTO totals SELECT id % 11, COUNT(*), SUM(id) FROM events GROUP BY id % 11;
END;
SQL
}

# What a finished job committed: the visible part files, sorted, and the
# SQLite table, ordered.
committed() { # dir
    { cat "$1"/out_*/part-* 2>/dev/null | sort
      [ -f "$1/res.db" ] && sqlite3 "$1/res.db" 'SELECT * FROM totals ORDER BY 1, 2'; } \
        >"$1.committed"
}

crash_case() { # name, job function, parallelism list
    local name=$1 fn=$2 plist=$3
    rm -rf ref crash; mkdir ref crash
    "$fn" 0 >ref/job.sql
    "$fn" 8000 >crash/job.sql
    (cd ref && timeout 60 "$WEIR" run job.sql -q --no-progress -p 2 --state-dir st >out 2>err)
    check "$name: the uninterrupted run succeeds" test $? -eq 0
    committed ref
    (cd crash && timeout 150 python3 "$CK_DIR/crash.py" "$WEIR" job.sql st --kills 20 \
        --min 0.05 --max 0.35 --parallelism "$plist" --seed 7 --timeout 140) >out 2>err
    check "$name: resumed after every kill and finished ($(cat out))" test $? -eq 0
    local kills; kills=$(sed -n 's/kills=\([0-9]*\).*/\1/p' out)
    check "$name: killed at least 20 times (${kills:-0})" test "${kills:-0}" -ge 20
    committed crash
    test -s ref.committed && cmp -s ref.committed crash.committed
    check "$name: committed output identical to the uninterrupted run's \
($(wc -l <ref.committed) rows)" test $? -eq 0
    if ! cmp -s ref.committed crash.committed; then
        diff ref.committed crash.committed | head -5
    fi
}

crash_case "window (p 2)" job_window 2
crash_case "group into sqlite (p 2)" job_sqlite 2
crash_case "join (p 2)" job_join 2
crash_case "join, rows spilled, resumed at p 2, 1, 3" job_join_spilled 2,1,3
crash_case "Top-N, rows spilled, resumed at p 2, 1, 3" job_topn_spilled 2,1,3
crash_case "interval join, resumed at p 2, 1, 3" job_interval 2,1,3
crash_case "several sinks (p 2)" job_multi 2
crash_case "window, resumed at p 1, 2, 4" job_window 1,2,4
crash_case "group into sqlite, resumed at p 2, 1, 3" job_sqlite 2,1,3

# --- the collector path: a tailed file into a topic, exactly once -------------------
# (tail -> log with 'sink.delivery-guarantee' = 'exactly-once' into one
# partition; the consumer reads committed records only, in order)
rm -rf tl; mkdir tl; cd tl
export WEIR_DATA_DIR=$PWD/data
"$WEIR" topic create collected --partitions 1 >out 2>err
python3 -c "
with open('app.log', 'w') as f:
    for i in range(3000000):
        f.write('%d level=%s msg=request %d done\n' % (i, 'INFO' if i % 7 else 'WARN', i))
"
cat >job.sql <<'SQL'
SET 'execution.checkpointing.interval' = '100ms';
CREATE TABLE app (line STRING) WITH ('connector' = 'tail', 'path' = 'app.log',
  'format' = 'raw', 'scan.bounded' = 'true');
CREATE TABLE collected (line STRING) WITH ('connector' = 'log', 'topic' = 'collected',
  'format' = 'raw', 'sink.delivery-guarantee' = 'exactly-once');
INSERT INTO collected SELECT line FROM app;
SQL
timeout 150 python3 "$CK_DIR/crash.py" "$WEIR" job.sql st --kills 20 --min 0.05 --max 0.25 \
    --parallelism 1 --seed 3 --timeout 140 >out 2>err
check "tail -> log: resumed after every kill and finished ($(cat out))" test $? -eq 0
"$WEIR" consume collected --from-beginning --timeout-ms 2000 >consumed 2>/dev/null
cmp -s app.log consumed
check "tail -> log: every line in the topic exactly once, in file order \
($(wc -l <consumed) of $(wc -l <app.log))" test $? -eq 0
unset WEIR_DATA_DIR
cd ..

# --- savepoint -> stop -> resume; SIGTERM; --from ------------------------------------
rm -rf ref sp; mkdir ref sp
job_window 0 >ref/job.sql; job_window 4000 >sp/job.sql
(cd ref && timeout 60 "$WEIR" run job.sql -q --no-progress --state-dir st >out 2>err)
committed ref
cd sp
"$WEIR" run job.sql --no-progress -p 2 --state-dir st >out 2>err & pid=$!
sleep 1
"$WEIR" ctl st status >status.out 2>&1
check "ctl status of a running job" grep -q "^state: running" status.out
grep -q "^checkpoints: [1-9][0-9]* completed" status.out
check "ctl status shows completed checkpoints" test $? -eq 0
"$WEIR" ctl st savepoint saved >sv.out 2>&1
check "ctl savepoint writes a savepoint" grep -q "written to .*/saved" sv.out
test -f saved/_metadata; check "the savepoint has a manifest" test $? -eq 0
"$WEIR" ctl st stop --savepoint >stop.out 2>&1
check "ctl stop --savepoint answers with the savepoint" grep -q "savepoint [0-9]* written to st/savepoints/sp-" stop.out
for _ in $(seq 1 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -9 $pid 2>/dev/null; wait $pid; rc=$?
check "the stopped job exits 0" test $rc -eq 0
check "its summary says stopped" grep -q "stopped" err
"$WEIR" ctl st status >off.out 2>&1
check "ctl status of a stopped job names the savepoint" grep -q "latest: st/savepoints/sp-.*stop" off.out
# resume; on the way, SIGTERM (= stop with a savepoint), then resume to the end
"$WEIR" run job.sql --no-progress -p 1 --state-dir st >out 2>err & pid=$!
sleep 0.8; kill -TERM $pid
for _ in $(seq 1 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -9 $pid 2>/dev/null; wait $pid; rc=$?
check "SIGTERM stops with a savepoint (exit 0)" test $rc -eq 0
grep -q "resumes from st/savepoints/sp-" err
check "the second run resumed from the stop savepoint" test $? -eq 0
timeout 60 "$WEIR" run job.sql --no-progress -q -p 2 --state-dir st >out 2>err
check "the third run finishes" test $? -eq 0
cd ..
committed sp
cmp -s ref.committed sp.committed
check "savepoint, stop, resume: output identical to the uninterrupted run's" test $? -eq 0
# --from: the savepoint taken earlier, into a new state directory
rm -rf from; mkdir from; job_window 0 >from/job.sql
cp -r sp/saved from/saved
cp -r sp/out_w from/out_w 2>/dev/null
(cd from && timeout 60 "$WEIR" run job.sql --no-progress -p 2 --state-dir st2 --from saved >out 2>err)
check "--from a savepoint runs" test $? -eq 0
grep -q "resumes from saved" from/err; check "--from names where it resumed" test $? -eq 0
(cd from && timeout 30 "$WEIR" run job.sql --no-progress -p 2 --state-dir st3 --from nowhere >out 2>err)
check "--from a missing directory is an error" test $? -ne 0
grep -q "cannot read 'nowhere/_metadata'" from/err; check "--from a missing directory names it" test $? -eq 0

# --- a corrupt checkpoint: the previous one is used ----------------------------------
rm -rf cor; mkdir cor; cd cor
job_sqlite 4000 | sed "s/'150ms';/'150ms';\nSET 'state.checkpoints.num-retained' = '3';/" >job.sql
job_sqlite 0 >ref.sql
timeout 60 "$WEIR" run ref.sql -q --no-progress --state-dir rst >out 2>err
sqlite3 res.db 'SELECT * FROM totals ORDER BY k' >ref.txt; rm -f res.db*
"$WEIR" run job.sql -q --no-progress -p 2 --state-dir st >out 2>err & pid=$!
sleep 1.5; kill -9 $pid; wait $pid 2>/dev/null
newest=$(ls -d st/checkpoints/chk-* | sort -t- -k2 -n | tail -1)
n_chk=$(ls -d st/checkpoints/chk-* | wc -l)
check "three checkpoints retained ($n_chk)" test "$n_chk" -eq 3
printf 'garbage' | dd of="$newest/data" bs=1 seek=20 conv=notrunc 2>/dev/null
timeout 60 "$WEIR" run job.sql --no-progress -p 2 --state-dir st >out 2>err
check "a run after a corrupt checkpoint finishes" test $? -eq 0
grep -q "skipping $newest: .*checksum" err; check "the corrupt checkpoint is named and skipped" test $? -eq 0
grep -q "resumes from st/checkpoints/chk-" err; check "it resumed from the one before" test $? -eq 0
sqlite3 res.db 'SELECT * FROM totals ORDER BY k' >got.txt
cmp -s ref.txt got.txt; check "upserts after the fallback: the same final table" test $? -eq 0
cd ..

# --- a checkpoint that times out: the job goes on ----------------------------------
rm -rf tmo; mkdir tmo; cd tmo
cat >job.sql <<SQL
SET 'execution.checkpointing.interval' = '100ms';
SET 'execution.checkpointing.timeout' = '300ms';
$(src_ddl events 0)
CREATE TABLE p (id BIGINT, pad STRING) WITH ('connector' = 'print');
INSERT INTO p SELECT id, 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' FROM events;
SQL
# the reader stalls for 2 s: the print sink blocks, no barrier gets through
( timeout 60 "$WEIR" run job.sql --no-progress -p 1 --state-dir st 2>err; echo "rc=$?" >rc ) |
    { sleep 2; cat >/dev/null; }
check "a job whose checkpoint timed out finishes (exit 0)" grep -q "rc=0" rc
grep -q "checkpoint [0-9]* failed: not complete after 300 ms" err
check "the timed-out checkpoint is reported" test $? -eq 0
grep -q "checkpoints: [1-9][0-9]* completed, [1-9][0-9]* failed" err
check "the summary counts completed and failed checkpoints" test $? -eq 0
cd ..

# --- a full disk while a checkpoint is written: it fails, the job goes on ---------------
rm -rf full; mkdir full; cd full
cat >job.sql <<SQL
SET 'execution.checkpointing.interval' = '100ms';
$(src_ddl events 20000)
CREATE TABLE bh (k BIGINT, n BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO bh SELECT id, COUNT(*) FROM events GROUP BY id;
SQL
# 200 KiB per file: the state (24000 keys) outgrows it while the job runs
( ulimit -f 200; timeout 60 "$WEIR" run job.sql --no-progress -p 1 --state-dir st \
    --metrics-json m.json >out 2>err; echo "rc=$?" >rc )
check "a job whose checkpoint hit a full disk finishes (exit 0)" grep -q "rc=0" rc
grep -q "checkpoint [0-9]* failed: cannot write .*File too large" err
check "the failed write is reported with its reason" test $? -eq 0
python3 - <<'PY' >/dev/null 2>&1
import json; m = json.load(open("m.json")); c = m["checkpoints"]
assert c["completed"] >= 1 and c["failed"] >= 1, c
PY
check "metrics JSON counts completed and failed checkpoints" test $? -eq 0
cd ..

# --- state that no longer fits the query ---------------------------------------------
rm -rf chg; mkdir chg; cd chg
job_sqlite 2000 >job.sql
"$WEIR" run job.sql --no-progress -p 2 --state-dir st >out 2>err & pid=$!
sleep 1; kill -TERM $pid; wait $pid
sed 's/MAX(id)/MIN(id)/' job.sql >changed.sql
timeout 30 "$WEIR" run changed.sql --no-progress -p 2 --state-dir st >out 2>err
check "restoring into a changed aggregation is refused" test $? -ne 0
grep -q "holds state of operator 'GroupAggregate(.*MAX.*which this job does not have.*--allow-non-restored-state" err
check "the error names the operator and the way out" test $? -eq 0
sed 's/^SET .execution.checkpointing.interval.*/&\nSET '"'"'pipeline.max-parallelism'"'"' = '"'"'64'"'"';/' job.sql >kg.sql
timeout 30 "$WEIR" run kg.sql --no-progress -p 2 --state-dir st >out 2>err
check "another max-parallelism is refused" grep -q "max-parallelism 128 and this job has 64" err
timeout 60 "$WEIR" run changed.sql --no-progress -p 2 --state-dir st --allow-non-restored-state >out 2>err
check "--allow-non-restored-state drops it and runs" test $? -eq 0
cd ..

cd "$CK_OLDPWD"
rm -rf "$CK_T"
if [ "$CK_STANDALONE" = 1 ]; then
    echo "checkpoint: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
fi
