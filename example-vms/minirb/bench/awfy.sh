#!/usr/bin/env bash
# Runs the Are We Fast Yet Ruby benchmarks side by side under several Ruby
# implementations and prints, per benchmark: the first and the last
# iteration's time (warm-up), the total, and each total's ratio to the
# first implementation's; then the geometric mean of the ratios.
#
# The suite is not vendored: fetch smarr/are-we-fast-yet and point AWFY at
# its benchmarks/Ruby directory.
#
#   AWFY=/path/to/are-we-fast-yet/benchmarks/Ruby \
#   example-vms/minirb/bench/awfy.sh "ruby=ruby" "yjit=ruby --yjit" \
#       "minirb=target/release/minirb"
#
# ITER (default 10) outer iterations. Inner iterations are a tenth of the
# suite's usual ones where the benchmark's own result check allows it (CD,
# Mandelbrot and NBody verify only their standard sizes), so a row takes
# seconds, not minutes. FILTER=Name runs one benchmark.
set -u
AWFY=${AWFY:?set AWFY to are-we-fast-yet/benchmarks/Ruby}
ITER=${ITER:-10}
[ $# -gt 0 ] || set -- "ruby=ruby" "yjit=ruby --yjit" "minirb=target/release/minirb"
# name and inner iterations
BENCHES="DeltaBlue:1200 Richards:10 Json:10 CD:100 Havlak:150 Bounce:150
List:150 Mandelbrot:500 NBody:250000 Permute:100 Queens:100 Sieve:300
Storage:100 Towers:60"
declare -A TOTAL
printf '%-11s' benchmark
for spec in "$@"; do printf ' %28s' "${spec%%=*} first/last/total ms"; done
echo
for b in $BENCHES; do
    name=${b%%:*}
    inner=${b##*:}
    [ -n "${FILTER:-}" ] && [ "$name" != "$FILTER" ] && continue
    printf '%-11s' "$name"
    base=""
    for spec in "$@"; do
        impl=${spec%%=*}; cmd=${spec#*=}
        out=$(cd "$AWFY" && timeout 600 $cmd harness.rb "$name" "$ITER" "$inner" 2>&1)
        times=$(echo "$out" | sed -n 's/.*iterations=1 runtime: \([0-9]*\)us.*/\1/p')
        n=$(echo "$times" | grep -c .)
        if [ "$n" -ne "$ITER" ]; then
            printf ' %28s' "FAILED"
            echo "$out" | tail -3 >&2
            TOTAL[$impl]="${TOTAL[$impl]:-} x"
            continue
        fi
        first=$(echo "$times" | head -1); last=$(echo "$times" | tail -1)
        total=$(echo "$times" | awk '{s+=$1} END {print s}')
        [ -z "$base" ] && base=$total
        ratio=$(awk -v t="$total" -v b="$base" 'BEGIN {printf "%.2f", t/b}')
        TOTAL[$impl]="${TOTAL[$impl]:-} $ratio"
        printf ' %28s' "$((first/1000))/$((last/1000))/$((total/1000)) ($ratio)"
    done
    echo
done
printf '%-11s' geomean
for spec in "$@"; do
    impl=${spec%%=*}
    g=$(echo "${TOTAL[$impl]:-}" | tr ' ' '\n' | awk 'NF && $1 != "x" {s+=log($1); n++} $1 == "x" {f=1} END {if (n) printf "%.2f%s", exp(s/n), f ? "*" : ""; else print "-"}')
    printf ' %28s' "$g"
done
echo
