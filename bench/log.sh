#!/usr/bin/env bash
# log.sh — append and read throughput of weir's embedded log (src/log) for
# 100-byte records with each durability policy (os, interval:100, batch),
# next to `dd` on the same disk in the same run:
#   - append "os"       vs dd if=/dev/zero bs=1M (page cache, no sync)
#   - append "batch"    vs dd bs=<one batch> oflag=dsync (a sync per write)
#   - read              vs dd of=/dev/null bs=1M of the file just written
#   - tail -> log: a `weir run` job, the tail collector into a topic
#     (exactly-once sink), lines/s end to end
# Targets (issue 6): >= 2M records/s append per partition with "os",
# readers >= 5M records/s.  Results: bench/RESULTS.md, section "## log".
#
#   bench/log.sh [WEIR]                 default WEIR: build/weir
#   RECORDS=10000000 RUNS=3 bench/log.sh build/weir
#
# Environment: RECORDS (10000000) per run, BATCH (1000) records per append,
# RUNS (3) rounds, MAX_SECONDS (10) cap per append run ("batch" is bounded by
# sync latency and stops there).  The driver bench/log_bench.c is built
# against the libweir.a next to WEIR; one round runs dd, then the log for each
# policy, so background load hits both alike; figures are medians over rounds.
# MB = 10^6 bytes.  "payload" MB/s counts record values; "disk" MB/s counts
# the bytes the segment file grew by (values + framing), the figure to set
# against dd.  Missed targets are reported (MISSED) but do not fail the script.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WEIR=${1:-$ROOT/build/weir}
[[ $WEIR = /* ]] || WEIR=$PWD/$WEIR
RECORDS=${RECORDS:-10000000}
BATCH=${BATCH:-1000}
RUNS=${RUNS:-3}
MAX_SECONDS=${MAX_SECONDS:-10}
OUT=$ROOT/bench/out
BIN=$OUT/bin
DATA=$OUT/log-data
CC=${CC:-gcc}
die() { echo "log.sh: $*" >&2; exit 1; }

LIB=$(dirname "$WEIR")/libweir.a
[ -f "$LIB" ] || die "no $LIB next to '$WEIR' (make $(dirname "$WEIR")/weir)"
mkdir -p "$BIN" "$DATA"
$CC -std=c17 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -I"$ROOT/src" -pthread \
    -o "$BIN/log_bench" "$ROOT/bench/log_bench.c" "$LIB" -lpcre2-8 -lm -lpthread \
    || die "cannot build bench/log_bench.c"
LIB_ID="$(date -r "$LIB" '+%F %T'), sha256 $(sha256sum "$LIB" | cut -c1-12)"

RAW=$OUT/log-raw.txt
: > "$RAW"
# tail -> log: an app log of RECORDS lines of 100 bytes (99 + newline), read by
# the tail collector (bounded) into a topic with the exactly-once sink, as a
# `weir run` job (checkpoints on, as by default)
TL=$OUT/log-tail
rm -rf "$TL"; mkdir -p "$TL"
awk -v n="$RECORDS" 'BEGIN { pad = sprintf("%090d", 0); for (i = 0; i < n; i++) printf "%08d %s\n", i, pad }' \
    > "$TL/app.log"
cat > "$TL/job.sql" <<'SQL'
CREATE TABLE app (line STRING) WITH ('connector' = 'tail', 'path' = 'app.log',
  'format' = 'raw', 'scan.bounded' = 'true');
CREATE TABLE collected (line STRING) WITH ('connector' = 'log', 'topic' = 'collected',
  'format' = 'raw', 'sink.delivery-guarantee' = 'exactly-once');
INSERT INTO collected SELECT line FROM app;
SQL
tail_run() { # prints "records seconds"
    rm -rf "$TL/data" "$TL/st"
    (cd "$TL" && WEIR_DATA_DIR=data "$WEIR" topic create collected --partitions 1 >/dev/null) \
        || die "cannot create the tail bench topic"
    local t0 t1
    t0=$(date +%s.%N)
    (cd "$TL" && WEIR_DATA_DIR=data "$WEIR" run job.sql -q --no-progress -p 1 --state-dir st) \
        || die "the tail -> log job failed"
    t1=$(date +%s.%N)
    echo "$RECORDS $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
}
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
# dd: prints "BYTES SECONDS" from its last stderr line
dd_run() { LC_ALL=C dd "$@" 2>&1 | tail -1 | sed -E 's/^([0-9]+) bytes.* copied, ([0-9.e-]+) s,.*/\1 \2/'; }
DDF=$OUT/log-dd.bin
DD_MB=$(( RECORDS * 105 / 1000000 ))
DSYNC_BS=$(( BATCH * 105 ))
for run in $(seq 1 "$RUNS"); do
    echo "log.sh: round $run/$RUNS ..." >&2
    rm -f "$DDF"
    echo "dd_write $(dd_run if=/dev/zero of="$DDF" bs=1M count="$DD_MB")" >> "$RAW"
    echo "dd_read $(dd_run if="$DDF" of=/dev/null bs=1M)" >> "$RAW"
    rm -f "$DDF"
    echo "dd_dsync $(dd_run if=/dev/zero of="$DDF" bs="$DSYNC_BS" count=300 oflag=dsync)" >> "$RAW"
    rm -f "$DDF"
    echo "tail $(tail_run)" >> "$RAW"
    for pol in os interval:100 batch; do
        line=$("$BIN/log_bench" "$DATA" "$pol" "$RECORDS" "$BATCH" 100 "$MAX_SECONDS") \
            || die "log_bench $pol failed"
        echo "log $line" >> "$RAW"
    done
done
LOAD_AFTER=$(cut -d' ' -f1 /proc/loadavg)
rm -rf "$DATA" "$DDF" "$TL"

COMMIT=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! (cd "$ROOT" && git diff --quiet HEAD -- src/log bench/log_bench.c 2>/dev/null); then
    COMMIT="$COMMIT + uncommitted src/log"
fi
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
MEM=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
FS=$(df -T "$OUT" | awk 'NR == 2 {print $2 " on " $1}')
export RAW CPU MEM FS COMMIT LIB_ID LOAD_BEFORE LOAD_AFTER RECORDS BATCH RUNS MAX_SECONDS
export NPROC=$(nproc) KERNEL=$(uname -r)
python3 - "$ROOT/bench/RESULTS.md" "$OUT/log.md" <<'PY'
import os, re, statistics as st, sys
env = os.environ
dd = {"dd_write": [], "dd_read": [], "dd_dsync": []}
log = {}
tail_rps = []
for line in open(env["RAW"]):
    kind, rest = line.split(" ", 1)
    if kind == "tail":
        n, secs = rest.split()
        tail_rps.append(int(n) / float(secs))
    elif kind in dd:
        b, s = rest.split()
        dd[kind].append(int(b) / float(s) / 1e6)      # MB/s
    else:
        kv = dict(x.split("=", 1) for x in rest.split())
        log.setdefault(kv["durability"], []).append(kv)
med = lambda xs: st.median(xs)
def m(pol, key):
    return med([float(r[key]) for r in log[pol]])
def disk_mbps(pol, phase):
    return med([int(r["disk_bytes"]) / 1e6 / float(r[phase + "_s"]) for r in log[pol]])
ddw, ddr, dds = med(dd["dd_write"]), med(dd["dd_read"]), med(dd["dd_dsync"])
rows = []
for pol in ["os", "interval:100", "batch"]:
    base = {"os": ddw, "interval:100": ddw, "batch": dds}[pol]
    rows.append((pol, m(pol, "records"), m(pol, "append_rps"), m(pol, "append_mbps"),
                 disk_mbps(pol, "append"), base, m(pol, "read_rps"), m(pol, "read_mbps"),
                 disk_mbps(pol, "read")))
o = []
o.append("## log: append and read, 100-byte records, one partition\n")
o.append("`bench/log.sh` (or `bench/run.sh build/weir log`) reproduces this section. "
         "The driver `bench/log_bench.c` appends %s records of 100 bytes (no key), %s per "
         "`log_append`, to a fresh one-partition topic with each durability policy "
         "(a run stops after %s s: `batch` is bounded by sync latency), closes the "
         "appender, then reads the partition from the start with one reader (CRC of every "
         "batch checked). `dd` runs on the same disk in the same rounds. Medians over %s "
         "rounds. MB = 10^6 bytes; *payload* counts record values, *disk* the segment "
         "bytes (payload + ~5 B/record framing + 48 B/batch header).\n"
         % (f"{int(env['RECORDS']):,}", env["BATCH"], env["MAX_SECONDS"], env["RUNS"]))
o.append("- machine: %s, %s cores, %s RAM, Linux %s; data on %s"
         % (env["CPU"], env["NPROC"], env["MEM"], env["KERNEL"], env["FS"]))
o.append("- commit: %s (libweir.a %s)" % (env["COMMIT"], env["LIB_ID"]))
o.append("- command: `RECORDS=%s RUNS=%s bench/log.sh build/weir`" % (env["RECORDS"], env["RUNS"]))
o.append("- load average before/after: %s / %s (other work shares this 2-core machine)\n"
         % (env["LOAD_BEFORE"], env["LOAD_AFTER"]))
o.append("| durability | records | append rec/s | append MB/s payload | append MB/s disk "
         "| dd MB/s (same disk) | log/dd | read rec/s | read MB/s payload | read MB/s disk "
         "| read/dd read |")
o.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for pol, n, arps, amb, adisk, base, rrps, rmb, rdisk in rows:
    ddname = "dsync %.0f" % base if pol == "batch" else "%.0f" % base
    o.append("| %s | %s | %.2fM | %.0f | %.0f | %s | %.2f | %.2fM | %.0f | %.0f | %.2f |"
             % (pol, f"{int(n):,}", arps / 1e6, amb, adisk, ddname, adisk / base,
                rrps / 1e6, rmb, rdisk, rdisk / ddr))
o.append("\ndd baselines (medians): write bs=1M %.0f MB/s; write bs=%d oflag=dsync %.0f MB/s "
         "(%.0f syncs/s); read bs=1M %.0f MB/s (page cache).\n"
         % (ddw, int(env["BATCH"]) * 105, dds, dds * 1e6 / (int(env["BATCH"]) * 105), ddr))
os_rps = rows[0][2]
rd = min(r[6] for r in rows)
o.append("| target | figure | result |")
o.append("| --- | ---: | --- |")
o.append("| append >= 2M records/s per partition, durability os | %.2fM | %s |"
         % (os_rps / 1e6, "met" if os_rps >= 2e6 else "MISSED"))
o.append("| read >= 5M records/s (slowest of the three reads) | %.2fM | %s |"
         % (rd / 1e6, "met" if rd >= 5e6 else "MISSED"))
if tail_rps:
    t = med(tail_rps)
    o.append("\ntail -> log topic, end to end (`weir run`: the tail collector reads a "
             "%s-line app log of 100-byte lines, bounded, into a one-partition topic through "
             "the exactly-once sink, checkpoints on; wall time of the process, median of %d): "
             "**%.2fM lines/s, %.0f MB/s**.\n" % (f"{int(env['RECORDS']):,}", len(tail_rps),
                                                 t / 1e6, t * 100 / 1e6))
o.append("\nReading the figures: with `os` and `interval:100` the log, like `dd` without "
         "sync, writes into the page cache (the interval flusher syncs behind it), so log/dd "
         "compares the log's disk bytes per second, after encoding and CRC-32C, with a plain "
         "sequential write; with `batch` every `log_append` waits for `fdatasync`, so it is "
         "set against `dd oflag=dsync` writing one batch's bytes per sync. Reads come from "
         "the page cache (the data was just written), against `dd` reading its own file.\n")
text = "\n".join(o) + "\n"
open(sys.argv[2], "w").write(text)
res = open(sys.argv[1]).read() if os.path.exists(sys.argv[1]) else "# weir benchmark results\n"
pat = re.compile(r"^## log\b.*?(?=^## |\Z)", re.S | re.M)
res = pat.sub(lambda _: text + "\n", res, count=1) if pat.search(res) else res.rstrip("\n") + "\n\n" + text
open(sys.argv[1], "w").write(res)
print(text)
PY
