#!/usr/bin/env bash
# The weir demo (`make demo`): route a day and a half of app behaviour events to one
# output per business line with one Flink SQL job, then show that every event is
# accounted for.
#
#   bash examples/run_demo.sh build/weir
#
# 1. generates 200,000 events (0.5% malformed, 1% from test accounts) into
#    examples/data/behavior/ unless they are already there (same seed: same bytes);
# 2. substitutes the paths into examples/behavior_pipeline.sql and runs it with
#    --progress, writing to examples/out/ (removed first: re-running is safe);
# 3. prints a report: rows per output, the dead letters with two example reasons, and
#    the reconciliation  read = written + filtered + dead-lettered,  each number
#    checked against the files on disk and against the generator's ground truth.
# Exits non-zero if the job fails or a single number does not reconcile.
#
# Environment: DEMO_EVENTS (default 200000), DEMO_SEED (42), DEMO_TIMEOUT (120 s).
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 path/to/weir" >&2
    exit 2
fi
WEIR=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
[ -x "$WEIR" ] || { echo "run_demo: '$1' is not an executable" >&2; exit 2; }
command -v python3 >/dev/null || { echo "run_demo: python3 is needed (make setup installs it)" >&2; exit 2; }

HERE=$(cd "$(dirname "$0")" && pwd)
DATA=$HERE/data/behavior
MANIFEST=$HERE/data/manifest.json
OUT=$HERE/out
EVENTS=${DEMO_EVENTS:-200000}
SEED=${DEMO_SEED:-42}
TIMEOUT=${DEMO_TIMEOUT:-120}

bold() { if [ -t 1 ]; then printf '\033[1m%s\033[0m\n' "$*"; else printf '%s\n' "$*"; fi; }

# --- 1. the events ---------------------------------------------------------------------
have_data() {  # the data is there, complete, and made with these settings
    [ -f "$MANIFEST" ] && python3 - "$MANIFEST" "$DATA" "$EVENTS" "$SEED" <<'PY'
import json, os, sys
m = json.load(open(sys.argv[1]))
ok = m.get("events") == int(sys.argv[3]) and m.get("seed") == int(sys.argv[4])
ok = ok and all(os.path.isfile(os.path.join(sys.argv[2], f)) for f in m.get("files", {}))
sys.exit(0 if ok else 1)
PY
}
if have_data; then
    bold "== 1. events: reusing $(du -sh "$DATA" | cut -f1) in ${DATA#"$PWD"/}/ (rm -r examples/data to regenerate)"
else
    bold "== 1. generating $EVENTS behaviour events (seed $SEED) into ${DATA#"$PWD"/}/"
    rm -rf "$DATA" "$MANIFEST"
    python3 "$HERE/gen_behavior.py" --out "$DATA" --events "$EVENTS" --seed "$SEED" \
        --manifest "$MANIFEST.tmp"
    mv "$MANIFEST.tmp" "$MANIFEST"   # last: an interrupted run regenerates next time
fi
ls -l "$DATA" | awk 'NR > 1 { printf "   %-22s %9d bytes\n", $9, $5 }'
echo "   sample: $(head -c 230 "$DATA/app-server-1.jsonl" | head -1)..."

# --- 2. the job ----------------------------------------------------------------------
rm -rf "$OUT"
mkdir -p "$OUT"
JOB=$OUT/behavior_pipeline.sql   # the job is named after its file: behavior_pipeline
python3 - "$HERE/behavior_pipeline.sql" "$JOB" "$DATA" "$OUT" <<'PY'
import sys
src, dst, data, out = sys.argv[1:]
open(dst, "w").write(open(src).read().replace("${DATA}", data).replace("${OUT}", out))
PY
echo
bold "== 2. running examples/behavior_pipeline.sql (paths substituted: ${JOB#"$PWD"/})"
echo "   $ weir run behavior_pipeline.sql --progress --state-dir examples/out/state"
set +e
timeout --signal=INT --kill-after=10 "$TIMEOUT" \
    "$WEIR" run "$JOB" --progress --state-dir "$OUT/state" --metrics-json "$OUT/metrics.json"
rc=$?
set -e
if [ $rc -ne 0 ]; then
    echo "run_demo: weir exited with status $rc" >&2
    exit 1
fi

# --- 3. the report -------------------------------------------------------------------
echo
bold "== 3. report"
python3 - "$OUT" "$MANIFEST" "$DATA" <<'PY'
import json, os, sys

out, manifest, data = sys.argv[1:]
m = json.load(open(os.path.join(out, "metrics.json")))
truth = json.load(open(manifest))
problems = []

def check(what, got, want):
    if got != want:
        problems.append(f"{what}: {got:,} but expected {want:,}")
    return "ok" if got == want else "MISMATCH"

def lines_in(path):
    with open(path, "rb") as f:
        return sum(1 for _ in f)

# what went in: lines on disk, and what weir says it read
lines_read = sum(lines_in(os.path.join(data, f)) for f in sorted(os.listdir(data)))
src = m["sources"][0]
decoded, dead = src["rows"], src["dead_letters"]

# what came out: weir's counts, and the rows actually in the committed part files
sinks = {s["name"]: s["rows"] for s in m["sinks"]}
on_disk, partitions = {}, {}
for name in sinks:
    d = os.path.join(out, name.replace("_events", ""))
    n, parts = 0, []
    for root, dirs, files in os.walk(d):
        rows = sum(lines_in(os.path.join(root, f)) for f in files if f.startswith("part-"))
        if root != d:
            parts.append(f"{os.path.relpath(root, d)}: {rows:,}")
        n += rows
    on_disk[name], partitions[name] = n, sorted(parts)
written = sum(sinks.values())
filtered = decoded - written   # the four routes are disjoint: a row reaches one or none

dl_path = os.path.join(out, "state", "dead-letter.jsonl")
dl_records = [json.loads(l) for l in open(dl_path)] if os.path.exists(dl_path) else []

w = max(len(n) for n in sinks)
print(f"   outputs (examples/out/<line>/, rows counted in the part files):")
want_by_sink = {"live_events": "live", "video_events": "video", "novel_events": "novel",
                "shared_events": "shared"}
for name, rows in sinks.items():
    truth_rows = truth["valid_real_events"].get(want_by_sink.get(name, ""), rows)
    check(f"{name}: rows in files vs weir's count", on_disk[name], rows)
    check(f"{name}: rows vs generated events of that line", rows, truth_rows)
    print(f"     {name:<{w}} {rows:>9,} rows  ({'; '.join(partitions[name])})")

print(f"\n   dead-lettered: {dead:,} lines -> examples/out/state/dead-letter.jsonl")
seen = set()
for r in dl_records:   # two examples: a line that is not JSON, a value of the wrong type
    kind = r["reason"].startswith("field ")
    if kind in seen:
        continue
    seen.add(kind)
    reason = r["reason"] if len(r["reason"]) < 90 else r["reason"][:87] + "..."
    raw = r.get("raw", "")
    raw = raw if len(raw) < 70 else raw[:67] + "..."
    print(f"     {r['position'].replace(data + '/', '')}: {reason}\n       raw: {raw}")
    if len(seen) == 2:
        break
kinds = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in truth["malformed"].items())
print(f"     (generated malformed lines: {kinds})")

print("\n   reconciliation:")
rows = [
    ("lines in the input files", lines_read, truth["events"], "generated"),
    ("read by weir (decoded + dead-lettered)", decoded + dead, lines_read, "lines in files"),
    ("  dead-lettered", dead, truth["malformed_total"], "malformed lines generated"),
    ("  dead-letter file records", len(dl_records), dead, "weir's count"),
    ("  decoded", decoded, lines_read - truth["malformed_total"], "good lines generated"),
    ("    written (sum of the 4 outputs)", written, sum(on_disk.values()), "rows in part files"),
    ("    filtered out by WHERE (test users)", filtered, truth["test_user_events"],
     "test-user events generated"),
]
for label, got, want, what in rows:
    status = check(label.strip(), got, want)
    print(f"     {label:<40} {got:>9,}   {status:>2} (= {what})")
print(f"\n   {lines_read:,} read = {written:,} written + {filtered:,} filtered "
      f"+ {dead:,} dead-lettered", end="")
if written + filtered + dead == lines_read and not problems:
    print("   -- every event accounted for")
else:
    print("   -- DOES NOT RECONCILE")
    for p in problems:
        print("     " + p)
    sys.exit(1)
print(f"   job time {m['elapsed_s']:.2f} s, peak memory {m['peak_rss_kib'] / 1024:.0f} MiB"
      f"  (metrics: examples/out/metrics.json)")
PY
