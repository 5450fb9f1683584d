#!/usr/bin/env bash
# log.sh — end-to-end tests of the durable log's console tools: weir topic
# create/list/describe/delete, produce, consume (from the beginning, following,
# groups, clean stop on SIGINT/SIGTERM), groups (lag), kill -9 of a producer
# and a torn tail, and clear errors for bad arguments.  Every wait is bounded.
#
#   bash tests/e2e/log.sh build/weir       standalone: prints "log: N passed, N failed"
#   . tests/e2e/log.sh                     from tests/e2e/run.sh: adds to its counts
#                                          (uses its WEIR, ok/bad/check, pass/fail)
set -u
if [ "$(type -t check)" != function ]; then     # standalone: our own harness
    WEIR=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
    LOG_T=$(mktemp -d /tmp/weir-e2e-log.XXXXXX)
    trap 'rm -rf "$LOG_T"' EXIT
    pass=0; fail=0; LOG_STANDALONE=1
    ok()  { pass=$((pass + 1)); }
    bad() { fail=$((fail + 1)); echo "FAIL: $1"; [ -n "${2:-}" ] && echo "$2" | head -20; }
    check() { local name=$1; shift; if "$@"; then ok; else bad "$name" "$(cat out err 2>/dev/null)"; fi; }
else
    LOG_T=$(mktemp -d /tmp/weir-e2e-log.XXXXXX); LOG_STANDALONE=0
fi
LOG_OLDPWD=$PWD
cd "$LOG_T"
export WEIR_DATA_DIR=$LOG_T/data
W=$WEIR

# waits (at most $2 tenths of a second) until process $1 exits; 0 if it did
wait_exit() { for _ in $(seq 1 "$2"); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; return 1; }

# --- topics ---------------------------------------------------------------------------
"$W" topic create orders --partitions 3 --durability batch >out 2>err
check "topic create exits 0" test $? -eq 0
grep -q "Created topic orders (3 partitions, durability batch)" out; check "topic create says so" test $? -eq 0
"$W" topic create clicks --durability interval:50 --retention-ms 86400000 --retention-bytes 1048576 >out 2>err
check "topic create with retention exits 0" test $? -eq 0
"$W" topic list >out 2>err; check "topic list exits 0" test $? -eq 0
test "$(cat out | tr '\n' ' ')" = "clicks orders "; check "topic list names both, sorted" test $? -eq 0
"$W" topic describe clicks >out 2>err; check "topic describe exits 0" test $? -eq 0
grep -q "Durability: interval:50	RetentionMs: 86400000	RetentionBytes: 1048576" out
check "describe shows durability and retention" test $? -eq 0
test "$("$W" topic describe orders | grep -c 'Partition: ')" -eq 3; check "describe lists 3 partitions" test $? -eq 0
"$W" topic create orders >out 2>err; check "duplicate create exits 1" test $? -eq 1
grep -q "topic 'orders' already exists" err; check "duplicate create message" test $? -eq 0
test -d "$LOG_T/data/topics/orders"; check "WEIR_DATA_DIR is used" test $? -eq 0
"$W" topic list --data-dir other >out 2>err; check "--data-dir elsewhere exits 0" test $? -eq 0
test ! -s out; check "--data-dir elsewhere has no topics" test $? -eq 0

# --- bad arguments --------------------------------------------------------------------
"$W" topic create x --durability sometimes >out 2>err; check "bad durability exits 2" test $? -eq 2
grep -q "unknown durability 'sometimes'; valid: batch, interval:MS, os" err; check "bad durability names valid ones" test $? -eq 0
"$W" topic create x --partitions 0 >out 2>err; check "0 partitions exits 2" test $? -eq 2
grep -q -- "--partitions expects an integer from 1 to 1024, got '0'" err; check "0 partitions message" test $? -eq 0
"$W" topic create x --replicas 3 >out 2>err; check "unknown create option exits 2" test $? -eq 2
grep -q -- "unknown option '--replicas'; valid: --partitions, --durability, --retention-ms, --retention-bytes" err
check "unknown create option lists valid ones" test $? -eq 0
"$W" topic frob >out 2>err; check "unknown topic subcommand exits 2" test $? -eq 2
grep -q "valid: create, list, describe, delete" err; check "unknown subcommand lists valid ones" test $? -eq 0
"$W" topic create 'a/b' >out 2>err; check "bad topic name fails" test $? -ne 0
grep -q "valid characters: letters, digits" err; check "bad topic name message" test $? -eq 0
"$W" consume nosuch --timeout-ms 10 >out 2>err; check "consume unknown topic exits 1" test $? -eq 1
grep -q "unknown topic 'nosuch'" err; check "consume unknown topic message" test $? -eq 0
"$W" consume orders --offset 5 >out 2>err; check "--offset without --partition exits 2" test $? -eq 2
grep -q -- "--offset needs --partition" err; check "--offset without --partition message" test $? -eq 0
"$W" consume orders --partition 7 >out 2>err; check "bad --partition exits 2" test $? -eq 2
grep -q "topic 'orders' has partitions 0..2" err; check "bad --partition names the range" test $? -eq 0
"$W" consume orders --max-messages lots >out 2>err; check "bad --max-messages exits 2" test $? -eq 2
"$W" consume orders --from-the-start >out 2>err; check "unknown consume option exits 2" test $? -eq 2
grep -q -- "valid: --group, --from-beginning, --offset, --partition, --max-messages" err
check "unknown consume option lists valid ones" test $? -eq 0
"$W" produce >out 2>err </dev/null; check "produce without topic exits 2" test $? -eq 2
"$W" produce orders --key-separator ab >out 2>err </dev/null; check "long key separator exits 2" test $? -eq 2
"$W" groups --verbose >out 2>err; check "unknown groups option exits 2" test $? -eq 2

# --- produce, then consume from the beginning -----------------------------------------
seq 1 1000 | "$W" produce orders >out 2>err; check "produce 1000 lines exits 0" test $? -eq 0
timeout 20 "$W" consume orders --from-beginning --max-messages 1000 >out 2>err
check "consume --max-messages 1000 exits 0" test $? -eq 0
test "$(sort -n out | tr '\n' ,)" = "$(seq 1 1000 | tr '\n' ,)"; check "consume returns all 1000 lines" test $? -eq 0
grep -q "Processed a total of 1000 messages" err; check "consume reports the count" test $? -eq 0
timeout 20 "$W" consume orders --from-beginning --max-messages 7 >out 2>err
test "$(wc -l < out)" -eq 7; check "--max-messages 7 prints 7" test $? -eq 0
timeout 20 "$W" consume orders --partition 1 --offset 300 --timeout-ms 300 >out 2>err
check "--partition --offset exits 0 at the timeout" test $? -eq 0
p1=$("$W" topic describe orders | awk '/Partition: 1\t/ {print $6}')
test "$(wc -l < out)" -eq $((p1 - 300)); check "--offset 300 reads from offset 300 ($p1 in partition 1)" test $? -eq 0

# keys: the same key always lands on the same partition, --print-key shows it
for i in $(seq 1 60); do echo "user$((i % 6)):event$i"; done | "$W" produce orders --key-separator : >out 2>err
check "produce with keys exits 0" test $? -eq 0
ok_keys=1
for p in 0 1 2; do
    timeout 20 "$W" consume orders --partition $p --from-beginning --print-key --timeout-ms 300 2>/dev/null \
        | awk -F'\t' '$1 != "null" {print $1}' | sort -u > keys.$p
done
test "$(cat keys.0 keys.1 keys.2 | sort | uniq -d | wc -l)" -eq 0 || ok_keys=0
test "$(cat keys.0 keys.1 keys.2 | wc -l)" -eq 6 || ok_keys=0
check "each key lives on one partition (6 keys)" test $ok_keys -eq 1
timeout 20 "$W" consume orders --from-beginning --print-key --timeout-ms 300 >out 2>err
grep -q "^user3	event9$" out; check "--print-key prints key<TAB>value" test $? -eq 0
grep -q "^null	17$" out; check "--print-key prints null for no key" test $? -eq 0

# --- groups and lag -------------------------------------------------------------------
timeout 20 "$W" consume orders --group g1 --from-beginning --max-messages 400 >out 2>err
check "group consume exits 0" test $? -eq 0
"$W" groups g1 >out 2>err; check "groups g1 exits 0" test $? -eq 0
test "$(awk '$1 == "g1" {s += $6} END {print s}' out)" -eq 660; check "lag is 1060 - 400 = 660" test $? -eq 0
test "$(awk '$1 == "g1" {s += $4} END {print s}' out)" -eq 400; check "committed offsets add up to 400" test $? -eq 0
timeout 20 "$W" consume orders --group g1 --timeout-ms 500 >out 2>err
test "$(wc -l < out)" -eq 660; check "the group resumes where it stopped (660 left)" test $? -eq 0
"$W" groups >out 2>err
test "$(awk '$1 == "g1" {s += $6} END {print s}' out)" -eq 0; check "lag is 0 after catching up" test $? -eq 0
grep -q "CURRENT-OFFSET  LOG-END-OFFSET" out; check "groups prints a header" test $? -eq 0
"$W" groups nosuch >out 2>err; check "unknown group exits 1" test $? -eq 1
grep -q "unknown group 'nosuch'; groups: g1" err; check "unknown group names the groups" test $? -eq 0

# --- a consumer following a producer that appends later -------------------------------
"$W" topic create live --partitions 2 >out 2>err
timeout 20 "$W" consume live --max-messages 5 >follow.out 2>follow.err & cpid=$!
sleep 0.5
printf 'a\nb\nc\n' | "$W" produce live
sleep 0.2
printf 'd\ne\n' | "$W" produce live
wait_exit $cpid 50; check "follower exits after 5 new messages" test $? -eq 0
wait $cpid; check "follower exits 0" test $? -eq 0
test "$(sort follow.out | tr '\n' ' ')" = "a b c d e "; check "follower printed what was appended later" test $? -eq 0
for sig in INT TERM; do
    "$W" consume live >sig.out 2>sig.err & cpid=$!
    sleep 0.4
    kill -$sig $cpid
    wait_exit $cpid 30; check "SIG$sig stops a following consumer within 3 s" test $? -eq 0
    kill -9 $cpid 2>/dev/null; wait $cpid; check "SIG$sig: consumer exits 0" test $? -eq 0
done

# --- kill -9 of a producer mid-stream, then a torn tail -------------------------------
"$W" topic create crash --durability batch >out 2>err
# one line per write, so the producer appends (and syncs) many small batches
awk 'BEGIN { for (i = 1; i <= 100000000; i++) { print i; fflush() } }' \
    | "$W" produce crash 2>prod.err & ppid=$!     # $! is weir, the pipeline's last
sleep 1
kill -9 $ppid
wait $ppid 2>/dev/null
"$W" topic describe crash >out 2>err
grep -q "Writer: none" out; check "a killed producer leaves no writer lock" test $? -eq 0
timeout 30 "$W" consume crash --from-beginning --timeout-ms 500 >c1.out 2>err
n1=$(wc -l < c1.out)
check "records survived the kill -9 ($n1)" test "$n1" -gt 0
test "$(tr '\n' , < c1.out)" = "$(seq 1 "$n1" | tr '\n' ,)"; check "after kill -9: 1..$n1 in order, no gap, no garbage" test $? -eq 0
seg=$(ls "$LOG_T"/data/topics/crash/p0/*.log | tail -1)
printf 'WLB1 this is a torn batch' >> "$seg"
echo after | "$W" produce crash >out 2>err; check "produce after a torn tail exits 0" test $? -eq 0
# the killed producer may have written one more (unacknowledged) batch than
# readers saw: recovery keeps it, so the log now holds 1..m, m >= n1
m=$(sed -n 's/.*cut 25 bytes of a torn tail at offset \([0-9]*\)$/\1/p' err)
check "recovery of the torn tail is reported (at offset ${m:-?})" test -n "$m"
timeout 30 "$W" consume crash --from-beginning --timeout-ms 500 >c2.out 2>err
test "${m:-0}" -ge "$n1" && test "$(tr '\n' , < c2.out)" = "$(seq 1 "${m:-0}" | tr '\n' ,)after,"
check "torn tail cut: 1..$m intact, the new record right after them" test $? -eq 0

# --- delete -------------------------------------------------------------------------------
(echo first; sleep 3) | "$W" produce clicks >out 2>err & ppid=$!
sleep 0.5
"$W" topic delete clicks >out 2>err; check "delete while written exits 1" test $? -eq 1
grep -q "is being written by process" err; check "delete while written names the writer" test $? -eq 0
kill $ppid
wait_exit $ppid 30; check "SIGTERM stops a producer" test $? -eq 0
wait $ppid 2>/dev/null
"$W" topic delete clicks >out 2>err; check "topic delete exits 0" test $? -eq 0
"$W" topic list >out 2>err
grep -qx clicks out; check "deleted topic is not listed" test $? -ne 0
"$W" topic describe clicks >out 2>err; check "describe deleted topic exits 1" test $? -eq 1

cd "$LOG_OLDPWD"
unset WEIR_DATA_DIR
if [ "$LOG_STANDALONE" = 1 ]; then
    echo "log: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
else
    rm -rf "$LOG_T"
fi
