#!/usr/bin/env python3
"""nexmark_run.py — the job assembly and the report of bench/nexmark.sh (also used by
tests/e2e/nexmark.sh to assemble jobs the same way).

    nexmark_run.py assemble QDIR QUERY [NAME=VALUE ...]   print a job to stdout
    nexmark_run.py metrics FILE.json                      print 'source_rows sink_rows
                                                           dead_letters late'
    nexmark_run.py report RAW                             print the Markdown report

assemble: like nexmark-flink's QueryRunner, a job is ddl_gen.sql + ddl_views.sql +
QUERY.sql from QDIR with every ${NAME} substituted (ddl_kafka.sql is left out: the
runner only uses its table when ${NEXMARK_TABLE} = kafka).  TPS and EVENTS_NUM are
required; PERSON/AUCTION/BID_PROPORTION default to 1/3/46, NEXMARK_TABLE to datagen,
and the placeholders the supported queries never reach (BOOTSTRAP_SERVERS,
NEXMARK_DIR, SUBMIT_TIME, FLINK_HOME, KEEP_ALIVE, STOP_AT) to harmless values.  A
${...} left over is an error.  Two pseudo-queries measure the generator alone:
'gen' reads every column of the datagen table into a blackhole (all three ROWs are
generated), 'gen-type' reads only event_type (ids and event types, no ROW at all).
A QUERY with a '/' is read from that path instead of QDIR (tests/e2e/nexmark.sh uses
this for its reference dump of the bid view).

report: RAW has one line per timed run,
    query parallelism round wall_s user_s sys_s maxrss_kib sink_rows
and the environment gives EVENTS, RUNS, TPS and the header lines (MACHINE, COMMIT,
COMMAND, LOAD_BEFORE, LOAD_AFTER).  Figures are medians over the rounds.
"""
import json
import os
import re
import statistics
import sys

# Published per-core throughput, K events/s per core (/work/shared/NEXMARK.md §2,
# "Published per-core throughput"): F4 = Flink 2.0 V2 (generator included, measured
# CPU), best = the maximum over all the table's columns and which column it is.
PUBLISHED = {
    "q0": (378, 436, "D1-DBSP"),
    "q1": (395, 412, "D1-DBSP"),
    "q2": (414, 422, "D1-DBSP"),
    "q11": (46, 46, "F4"),
    "q12": (194, 418, "D1-DBSP"),
    "q14": (259, 429, "D1-DBSP"),
    "q21": (147, 415, "D1-DBSP"),
    "q22": (211, 394, "D1-DBSP"),
}
# The issue's targets, K events/s per core (10x Flink 2.0's F4 figure).
TARGET = {"q0": 3780, "q1": 3950, "q2": 4140, "q11": 460, "q12": 1940, "q14": 2590,
          "q21": 1470, "q22": 2110}
RSS_LIMIT_MIB = 128
SCALING_TARGET = 1.7

DEFAULTS = {
    "PERSON_PROPORTION": "1", "AUCTION_PROPORTION": "3", "BID_PROPORTION": "46",
    "NEXMARK_TABLE": "datagen", "BOOTSTRAP_SERVERS": "localhost:9092",
    "NEXMARK_DIR": "/tmp/nexmark", "SUBMIT_TIME": "0", "FLINK_HOME": "/tmp/nexmark",
    "KEEP_ALIVE": "false", "STOP_AT": "-1",
}

GEN_ALL = """
CREATE TABLE gen_sink (
    event_type INT,
    person ROW<id BIGINT, name VARCHAR, emailAddress VARCHAR, creditCard VARCHAR,
               city VARCHAR, state VARCHAR, `dateTime` TIMESTAMP(3), extra VARCHAR>,
    auction ROW<id BIGINT, itemName VARCHAR, description VARCHAR, initialBid BIGINT,
                reserve BIGINT, `dateTime` TIMESTAMP(3), expires TIMESTAMP(3),
                seller BIGINT, category BIGINT, extra VARCHAR>,
    bid ROW<auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR,
            `dateTime` TIMESTAMP(3), extra VARCHAR>,
    `dateTime` TIMESTAMP(3)
) WITH ('connector' = 'blackhole');
INSERT INTO gen_sink SELECT * FROM datagen;
"""
GEN_TYPE = """
CREATE TABLE gen_sink (event_type INT) WITH ('connector' = 'blackhole');
INSERT INTO gen_sink SELECT event_type FROM datagen;
"""


def die(msg):
    print("nexmark_run.py: " + msg, file=sys.stderr)
    sys.exit(1)


def read(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        die("cannot read %s: %s" % (path, e.strerror))


def assemble(qdir, query, assigns):
    if not os.path.isdir(qdir):
        die("no Nexmark query directory at '%s' (set NEXMARK_QUERIES)" % qdir)
    values = dict(DEFAULTS)
    for a in assigns:
        name, eq, value = a.partition("=")
        if not eq:
            die("expected NAME=VALUE, got '%s'" % a)
        values[name] = value
    for need in ("TPS", "EVENTS_NUM"):
        if need not in values:
            die("%s=... is required" % need)
    parts = [read(os.path.join(qdir, "ddl_gen.sql"))]
    if query == "gen":
        parts.append(GEN_ALL)
    elif query == "gen-type":
        parts.append(GEN_TYPE)
    else:
        parts.append(read(os.path.join(qdir, "ddl_views.sql")))
        # qN names a query of QDIR; a path (with a '/') is a query file of one's own
        parts.append(read(query if "/" in query else os.path.join(qdir, query + ".sql")))
    text = "\n".join(p if p.endswith("\n") else p + "\n" for p in parts)

    def sub(m):
        if m.group(1) not in values:
            die("%s: no value for ${%s}" % (query, m.group(1)))
        return values[m.group(1)]
    text = re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", sub, text)
    sys.stdout.write(text)


def metrics(path):
    try:
        with open(path, encoding="utf-8") as f:
            m = json.load(f)
    except (OSError, ValueError) as e:
        die("cannot read metrics %s: %s" % (path, e))
    src = sum(s["rows"] for s in m["sources"])
    sink = sum(s["rows"] for s in m["sinks"])
    dl = m.get("dead_letters", 0) + sum(s.get("dead_letters", 0) for s in m["sources"])
    late = sum(o.get("late", 0) for o in m.get("operators", []))
    print(src, sink, dl, late)


def fmt_k(x):
    return "{:,.0f}".format(x)


def report(raw):
    env = os.environ
    events = int(env["EVENTS"])
    runs = {}
    for line in read(raw).splitlines():
        q, p, _rnd, wall, user, sys_, rss, rows = line.split()
        runs.setdefault((q, int(p)), []).append(
            (float(wall), float(user) + float(sys_), int(rss), int(rows)))
    med = {}
    for key, rs in runs.items():
        wall = statistics.median(r[0] for r in rs)
        cpu = statistics.median(r[1] for r in rs)
        med[key] = {
            "wall": wall, "cpu": cpu, "rss": max(r[2] for r in rs),
            "rows": sorted(set(r[3] for r in rs)),
            "eps": events / wall, "epc": events / cpu,
            "epc_lo": events / max(r[1] for r in rs), "epc_hi": events / min(r[1] for r in rs),
            "n": len(rs),
        }
    out = []
    w = out.append
    w("## nexmark: generator → query → blackhole")
    w("")
    for k in ("MACHINE", "COMMIT", "COMMAND", "WORKLOAD"):
        if env.get(k):
            w("- %s: %s" % (k.lower(), env[k]))
    w("- load average (1/5/15 min) before: %s, after: %s"
      % (env.get("LOAD_BEFORE", "?"), env.get("LOAD_AFTER", "?")))
    w("- medians of %s runs; K = 10^3 events/s; per core = events ÷ (user+sys CPU);"
      " cores = CPU ÷ wall; RSS is the maximum over the runs" % env.get("RUNS", "?"))
    w("")
    w("| query | p | events/s | cores | K events/s per core (min-max) | target K/core |"
      " vs target | × Flink 2.0 (F4) | × best published | peak RSS MiB | sink rows |")
    w("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |")
    order = [k for k in ("gen-type", "gen") if (k, 1) in med] + \
        [q for q in TARGET if (q, 1) in med]
    verdicts = []
    for q in order:
        for p in (1, 2):
            if (q, p) not in med:
                continue
            m = med[(q, p)]
            epc_k = m["epc"] / 1e3
            rows = "/".join(fmt_k(r) for r in m["rows"])
            if q in TARGET:
                f4, best, best_col = PUBLISHED[q]
                ok = epc_k >= TARGET[q]
                verdict = ("met" if ok else "**MISS**") + " (%.2f×)" % (epc_k / TARGET[q])
                cells = (fmt_k(TARGET[q]), verdict, "%.1f" % (epc_k / f4),
                         "%.1f (%s %d)" % (epc_k / best, best_col, best))
                if p == 1:
                    verdicts.append((q, epc_k, ok, m["rss"] / 1024))
            else:
                cells = ("—", "—", "—", "—")
            name = {"gen": "generator (all columns)",
                    "gen-type": "generator (event_type only)"}.get(q, q)
            w("| %s | %d | %.2fM | %.2f | %s (%s-%s) | %s | %s | %s | %s | %.1f | %s |" % (
                name, p, m["eps"] / 1e6, m["cpu"] / m["wall"], fmt_k(epc_k),
                fmt_k(m["epc_lo"] / 1e3), fmt_k(m["epc_hi"] / 1e3), cells[0], cells[1],
                cells[2], cells[3], m["rss"] / 1024, rows))
    w("")
    scal = [q for q in TARGET if (q, 1) in med and (q, 2) in med]
    if scal:
        w("Scaling 1 → 2 workers (events/s, wall clock; target ≥ %.1f×):" % SCALING_TARGET)
        w("")
        for q in scal:
            r = med[(q, 2)]["eps"] / med[(q, 1)]["eps"]
            w("- %s: %.2fM → %.2fM events/s = %.2f× (%s); CPU %.2f s → %.2f s" % (
                q, med[(q, 1)]["eps"] / 1e6, med[(q, 2)]["eps"] / 1e6, r,
                "met" if r >= SCALING_TARGET else "**MISS**",
                med[(q, 1)]["cpu"], med[(q, 2)]["cpu"]))
        w("")
    if verdicts:
        met = sum(1 for v in verdicts if v[2])
        w("Per-core targets (p = 1): %d of %d met%s." % (
            met, len(verdicts),
            "" if met == len(verdicts) else "; missed: " +
            ", ".join("%s %s K (%.2f×)" % (q, fmt_k(e), e / TARGET[q])
                      for q, e, ok, _ in verdicts if not ok)))
        big = [(q, r) for q, _, _, r in verdicts if r >= RSS_LIMIT_MIB]
        w("Peak RSS < %d MiB: %s." % (
            RSS_LIMIT_MIB, "met by every query" if not big else
            "**MISS** for " + ", ".join("%s (%.1f MiB)" % b for b in big)))
    print("\n".join(out))


def main(argv):
    if len(argv) >= 3 and argv[1] == "assemble":
        assemble(argv[2], argv[3] if len(argv) > 3 else die("assemble QDIR QUERY"), argv[4:])
    elif len(argv) == 3 and argv[1] == "metrics":
        metrics(argv[2])
    elif len(argv) == 3 and argv[1] == "report":
        report(argv[2])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv)
