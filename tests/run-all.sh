#!/bin/sh
# Runs the whole test suite in each build directory given (the plain build and
# the ASan+UBSan build) and ends with one line: "N passed, M failed, K skipped".
# Exit status is non-zero when any test failed.
set -u
passed=0 failed=0 skipped=0
for dir in "$@"; do
    echo "== tests in $dir"
    meson test -C "$dir" --print-errorlogs --num-processes 2 > "$dir/test-output.txt" 2>&1
    status=$?
    grep -E '^ *[0-9]+/[0-9]+ ' "$dir/test-output.txt" | sed 's/^/  /'
    if grep -q 'FAIL\|TIMEOUT' "$dir/test-output.txt"; then
        sed -n '/^--- .*stdout/,$p' "$dir/test-output.txt" | head -200
    fi
    ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$dir/test-output.txt" | tail -1)
    xf=$(sed -n 's/^Expected Fail: *\([0-9]*\).*/\1/p' "$dir/test-output.txt" | tail -1)
    fl=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$dir/test-output.txt" | tail -1)
    up=$(sed -n 's/^Unexpected Pass: *\([0-9]*\).*/\1/p' "$dir/test-output.txt" | tail -1)
    to=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' "$dir/test-output.txt" | tail -1)
    sk=$(sed -n 's/^Skipped: *\([0-9]*\).*/\1/p' "$dir/test-output.txt" | tail -1)
    if [ -z "$ok" ]; then
        echo "  meson test did not run in $dir:"; tail -20 "$dir/test-output.txt"
        failed=$((failed + 1))
        continue
    fi
    passed=$((passed + ok + ${xf:-0}))
    failed=$((failed + ${fl:-0} + ${up:-0} + ${to:-0}))
    # meson itself failing (not a test) must not pass for success.
    if [ "$status" -ne 0 ] && [ $((${fl:-0} + ${up:-0} + ${to:-0})) -eq 0 ]; then
        echo "  meson test exited with status $status in $dir:"; tail -5 "$dir/test-output.txt"
        failed=$((failed + 1))
    fi
    skipped=$((skipped + ${sk:-0}))
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
