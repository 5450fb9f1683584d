# lib.sh — what every benchmark report says about where it ran; sourced by
# bench/stateless.sh and bench/nexmark.sh (ROOT: the repository).

# The commit measured, and whether the working tree had changes on top of it.
bench_commit() {
    local c
    if c=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null); then
        if [ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null | head -1)" ]; then
            echo "uncommitted working tree on top of $c"
        else
            echo "$c"
        fi
    else
        echo "uncommitted working tree (the repository has no commit yet)"
    fi
}

# CPU model, cores, memory and kernel, on one line.
bench_machine() {
    echo "$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores," \
         "$(awk '/MemTotal/ {printf "%.1f GiB RAM", $2 / 1048576}' /proc/meminfo)," \
         "Linux $(uname -r)"
}
