#!/usr/bin/env python3
"""crash.py — runs a weir job and kills it with SIGKILL at random moments,
resuming it each time from its state directory, until it finishes.

    crash.py WEIR JOB.sql STATE_DIR [--kills N] [--min S] [--max S]
             [--parallelism 2,1,4] [--seed N] [--timeout S]

Each of the first N runs is killed after a random delay in [min, max]
seconds (unless it finished first; a kill that came after the job's final
checkpoint ends the loop, as `weir ctl DIR status` says the job finished); run k uses the k-th parallelism of the
list, cyclically, so the job also resumes with other parallelisms.  The run
after the last kill goes to the end.  A run that exits by itself with a
non-zero code is a failure.  Prints "kills=K runs=R" and exits 0 when the job
finished, 1 otherwise.  Every wait is bounded (--timeout for the whole).
"""
import os
import random
import signal
import subprocess
import sys
import time


def main():
    args = sys.argv[1:]
    weir, job, state = args[0], args[1], args[2]
    opts = {"--kills": "20", "--min": "0.05", "--max": "0.3", "--parallelism": "2",
            "--seed": "1", "--timeout": "120"}
    i = 3
    while i < len(args):
        opts[args[i]] = args[i + 1]
        i += 2
    rnd = random.Random(int(opts["--seed"]))
    plist = [p for p in opts["--parallelism"].split(",")]
    kills, runs = 0, 0
    deadline = time.monotonic() + float(opts["--timeout"])
    while time.monotonic() < deadline:
        p = plist[runs % len(plist)]
        runs += 1
        cmd = [weir, "run", job, "--state-dir", state, "-p", p, "--no-progress", "-q"]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        limit = deadline - time.monotonic()
        if kills < int(opts["--kills"]):
            limit = min(limit, rnd.uniform(float(opts["--min"]), float(opts["--max"])))
        try:
            _, err = proc.communicate(timeout=max(limit, 0.01))
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            kills += 1
            # a supervisor restarts only a job that did not finish: a kill
            # can land after the final checkpoint, and a new run of a
            # finished job starts from the beginning
            st = subprocess.run([weir, "ctl", state, "status"], capture_output=True, text=True)
            if "(id " in st.stdout and ", final," in st.stdout:
                print("kills=%d runs=%d" % (kills, runs))
                return 0
            continue
        if proc.returncode != 0:
            sys.stderr.write("run %d (-p %s) exited %d:\n%s\n" % (runs, p, proc.returncode,
                                                                 err.decode(errors="replace")))
            print("kills=%d runs=%d" % (kills, runs))
            return 1
        print("kills=%d runs=%d" % (kills, runs))
        return 0
    sys.stderr.write("the job did not finish within %s s\n" % opts["--timeout"])
    print("kills=%d runs=%d" % (kills, runs))
    return 1


if __name__ == "__main__":
    sys.exit(main())
