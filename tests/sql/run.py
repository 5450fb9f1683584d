#!/usr/bin/env python3
"""Golden SQL tests: each tests/sql/cases/**/*.test holds input files, a job and
the exact expected output (or error).  Sections start with a line '=== <kind>':

  === file: NAME          a file written into the case's temporary directory
  === sqlite: NAME        an SQLite database built in the case's directory by
                          running the body with the sqlite3 shell, before the job
  === weir: ARGS          `weir ARGS` run in the case's directory before the job,
                          with the body as its stdin (log topics: `topic create T
                          --partitions N`, then `produce T` with records as lines)
  === sql                 the job; ${DIR} is replaced by that directory
  === expect              exact stdout of `weir run` (print sink rows, in order)
  === expect-sorted       stdout compared after sorting lines (order not defined)
  === expect-error        exact stderr (the job must fail, exit status 1)
  === expect-files: GLOB  concatenation of the files matching GLOB (relative to
                          the case directory), lines sorted
  === expect-dlq: N       the dead-letter file holds N records
  === expect-dlq-reasons  each line must appear in the dead-letter file
  === expect-query: DB: SELECT ...
                          after a successful run, the output of the sqlite3
                          shell running that query on DB (relative to the case
                          directory), compared exactly
  === args                extra arguments to `weir run`
  === parallelism: 1 2 4  run the case once per parallelism and require the
                          same rows each time: output is compared sorted, with
                          the print sink's "N> " subtask prefix removed

Cases run with --parallelism 1 unless their args say otherwise.

Lines starting with '#' before the first section are comments.  Prints
'N passed, N failed' last; exit status 1 if anything failed.
"""
import glob, json, os, re, subprocess, sys, tempfile

WEIR = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/weir")
ROOT = os.path.dirname(os.path.abspath(__file__))
pattern = sys.argv[2] if len(sys.argv) > 2 else ""

def parse(path):
    sections, cur, buf = [], None, []
    for line in open(path, encoding="utf-8").read().split("\n"):
        m = re.match(r"^=== (.+)$", line)
        if m:
            if cur is not None:
                sections.append((cur, buf))
            cur, buf = m.group(1).strip(), []
        elif cur is not None:
            buf.append(line)
    if cur is not None:
        sections.append((cur, buf))
    out = []
    for kind, lines in sections:
        while lines and lines[-1] == "":
            lines.pop()
        out.append((kind, "\n".join(lines)))
    return out

def run_case(path):
    secs = parse(path)
    pars = [k for k, _ in secs if k.startswith("parallelism:")]
    if not pars:
        return run_once(secs, None)
    for p in pars[0].split(":", 1)[1].split():
        msg = run_once(secs, int(p))
        if msg is not None:
            return f"[parallelism {p}] {msg}"
    return None

PREFIX = re.compile(r"^(?:[^>\s]*:)?\d+> ")

def run_once(secs, parallelism):
    with tempfile.TemporaryDirectory(prefix="weir-sql-") as d:
        sql, args, checks = None, [], []
        for kind, body in secs:
            if kind.startswith("file:"):
                name = kind[5:].strip()
                p = os.path.join(d, name)
                os.makedirs(os.path.dirname(p), exist_ok=True)
                with open(p, "w", encoding="utf-8") as f:
                    f.write(body + ("\n" if body else ""))
            elif kind.startswith("sqlite:"):
                p = os.path.join(d, kind[7:].strip())
                q = subprocess.run(["sqlite3", p], input=body.encode("utf-8"),
                                   capture_output=True, timeout=30)
                if q.returncode != 0:
                    return f"sqlite3 {p} failed: {q.stderr.decode('utf-8', 'replace')}"
            elif kind.startswith("weir:"):
                q = subprocess.run([WEIR] + kind[5:].split(), cwd=d,
                                   input=(body + "\n" if body else "").encode("utf-8"),
                                   capture_output=True, timeout=30)
                if q.returncode != 0:
                    return f"weir {kind[5:].strip()} failed: {q.stderr.decode('utf-8', 'replace')}"
            elif kind == "sql":
                sql = body.replace("${DIR}", d)
            elif kind == "args":
                args = body.split()
            elif kind.startswith("parallelism:"):
                pass
            else:
                checks.append((kind, body.replace("${DIR}", d)))
        if sql is None:
            return "no '=== sql' section"
        job = os.path.join(d, "job.sql")
        with open(job, "w", encoding="utf-8") as f:
            f.write(sql + "\n")
        state = os.path.join(d, "state")
        if parallelism is not None:
            args = args + ["--parallelism", str(parallelism)]
        elif "-p" not in args and "--parallelism" not in args:
            args = args + ["--parallelism", "1"]
        try:
            r = subprocess.run([WEIR, "run", "job.sql", "--no-progress", "-q", "--state-dir", state] + args,
                               cwd=d, capture_output=True, timeout=60)
        except subprocess.TimeoutExpired:
            return "timed out after 60 s"
        out = r.stdout.decode("utf-8", "replace")
        if parallelism is not None and parallelism > 1:
            out = "\n".join(PREFIX.sub("", l) for l in out.split("\n"))
        err = r.stderr.decode("utf-8", "replace")
        for kind, body in checks:
            if kind == "expect" and parallelism is not None and parallelism > 1:
                kind = "expect-sorted"   # instances interleave their rows
            if kind == "expect":
                if r.returncode != 0:
                    return f"exit {r.returncode}, stderr:\n{err}"
                if out.rstrip("\n") != body:
                    return f"stdout differs\n--- expected\n{body}\n--- got\n{out}"
            elif kind == "expect-sorted":
                if r.returncode != 0:
                    return f"exit {r.returncode}, stderr:\n{err}"
                if sorted(out.rstrip("\n").split("\n")) != sorted(body.split("\n")):
                    return f"stdout (sorted) differs\n--- expected\n{body}\n--- got\n{out}"
            elif kind == "expect-error":
                if r.returncode != 1:
                    return f"expected failure (exit 1), got exit {r.returncode}\nstdout:\n{out}\nstderr:\n{err}"
                lines = [l for l in err.rstrip("\n").split("\n") if not l.startswith("weir: job")]
                got = "\n".join(lines)
                if got != body:
                    return f"stderr differs\n--- expected\n{body}\n--- got\n{got}"
            elif kind.startswith("expect-files:"):
                g = kind.split(":", 1)[1].strip()
                files = sorted(glob.glob(os.path.join(d, g), recursive=True))
                lines = []
                for fp in files:
                    if os.path.isfile(fp):
                        lines += open(fp, encoding="utf-8").read().rstrip("\n").split("\n")
                lines = sorted(l for l in lines if l != "")
                want = sorted(l for l in body.split("\n") if l != "")
                if lines != want:
                    return f"files {g} differ\n--- expected\n" + "\n".join(want) + "\n--- got\n" + "\n".join(lines) + f"\n(files: {files})"
            elif kind.startswith("expect-dlq:"):
                n = int(kind.split(":", 1)[1])
                dl = os.path.join(state, "dead-letter.jsonl")
                got = len(open(dl).read().splitlines()) if os.path.exists(dl) else 0
                if got != n:
                    return f"dead-letter records: expected {n}, got {got}"
            elif kind == "expect-dlq-reasons":
                dl = os.path.join(state, "dead-letter.jsonl")
                recs = [json.loads(l) for l in open(dl)] if os.path.exists(dl) else []
                reasons = [r.get("reason", "") for r in recs]
                for want in body.split("\n"):
                    if not any(want in x for x in reasons):
                        return f"no dead-letter reason contains {want!r}; reasons: {reasons}"
            elif kind.startswith("expect-query:"):
                if r.returncode != 0:
                    return f"exit {r.returncode}, stderr:\n{err}"
                _, db, query = kind.split(":", 2)
                q = subprocess.run(["sqlite3", os.path.join(d, db.strip()), query.strip()],
                                   capture_output=True, timeout=30)
                got = q.stdout.decode("utf-8", "replace").rstrip("\n")
                if q.returncode != 0 or got != body:
                    return (f"sqlite3 {db.strip()} {query.strip()!r} differs\n--- expected\n{body}"
                            f"\n--- got\n{got}\n{q.stderr.decode('utf-8', 'replace')}")
            else:
                return f"unknown section '{kind}'"
        return None

def main():
    cases = sorted(glob.glob(os.path.join(ROOT, "cases", "**", "*.test"), recursive=True))
    cases = [c for c in cases if pattern in c]
    passed = failed = 0
    for c in cases:
        name = os.path.relpath(c, ROOT)
        msg = run_case(c)
        if msg is None:
            passed += 1
        else:
            failed += 1
            print(f"FAIL {name}: {msg}\n")
    print(f"sql: {passed} passed, {failed} failed")
    sys.exit(1 if failed or not cases else 0)

main()
