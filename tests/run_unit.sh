#!/usr/bin/env bash
# Runs every unit-test binary in BUILD/tests and prints one closing line
# "N passed, N failed" (a binary counts as one suite; cmocka prints its cases).
set -u
B=${1:-build}
pass=0; fail=0; failed=()
for t in "$B"/tests/test_*; do
    [ -x "$t" ] || continue
    if NEXMARK_QUERIES=${NEXMARK_QUERIES:-$(cd "$(dirname "$0")/../.." && pwd)/shared/nexmark} \
        timeout 300 "$t" >"$t.log" 2>&1; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1)); failed+=("$t")
        echo "--- FAILED: $t" ; tail -n 40 "$t.log"
    fi
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
