#!/usr/bin/env bash
# Runs every fuzz target one after another (see ../FUZZING.md).
#
#   fuzz/run-all.sh [SECONDS_PER_TARGET]      default 300
#
# Works on the stable toolchain: the targets without unsafe code below them run without a
# sanitizer (`-s none`, no -Z flags); `image_page`, which reaches the unsafe libwebp /
# libjpeg-turbo FFI, runs under AddressSanitizer, which needs `-Zsanitizer=address` and so
# RUSTC_BOOTSTRAP=1 on stable (its own target directory, so the two builds do not evict each
# other). Crashes land in fuzz/artifacts/<target>/; the exit status is that of the first
# target that failed.
set -u
cd "$(dirname "$0")"
secs="${1:-300}"
status=0

run() {
    local target="$1" max_len="$2"; shift 2
    local log="target/logs/$target.log"
    mkdir -p target/logs
    echo "=== $target (${secs}s, full log in fuzz/$log)"
    # shellcheck disable=SC2086 # $extra is zero or one word
    cargo fuzz run "$@" "$target" -- \
        -max_total_time="$secs" -rss_limit_mb=2048 -max_len="$max_len" -timeout=60 \
        -print_final_stats=1 $extra >"$log" 2>&1
    local rc=$?
    grep -E '^#[0-9]+ +(INITED|DONE)|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log"
    if [ "$rc" -ne 0 ]; then
        echo "--- $target FAILED (exit $rc):"
        tail -n 60 "$log"
        if [ "$status" -eq 0 ]; then status=$rc; fi
    fi
}

extra=""                          run id_parse      256   -s none
extra="-dict=dicts/options.dict"  run options       10000 -s none
extra=""                          run api_response  8192  -s none
extra="-dict=dicts/dir_rule.dict" run scramble_html 4096  -s none
extra=""                          run web_page      65536 -s none
extra="" RUSTC_BOOTSTRAP=1        run image_page    16384 --target-dir target/asan
exit "$status"
