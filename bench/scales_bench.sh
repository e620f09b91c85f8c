#!/usr/bin/env bash
# CPU cost of `--scales optimized` against `--scales minmax` in one run: `swan convert -q`
# (uniform 4-bit g64) of the 1.63 B-param synthetic model with Qwen3-8B shapes (the model of
# bench/run_benchmarks.sh), each method timed under /usr/bin/time, reported as a ratio with
# both peak RSS figures. Goal: at most 3x the CPU, the same memory bound.
#   bench/scales_bench.sh [BUILD_DIR] [BITS] [GROUP_SIZE]
set -euo pipefail
build=${1:-build}
bits=${2:-4}
group_size=${3:-64}
bench_dir=${BENCH_DIR:-/tmp/swan-bench}
swan="$build/swan"
large="$bench_dir/qwen3-8b-2layer-synth"
mkdir -p "$bench_dir"
[ -f "$large/config.json" ] || "$build/make_synthetic_model" qwen3-8b "$large" --layers 2

measure() {  # "wall_s cpu_s max_rss_kb"
  local log
  log=$(mktemp)
  /usr/bin/time -f "%e %U %S %M" -o "$log" "$@" > /dev/null
  awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}' "$log"
  rm -f "$log"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

"$build/read_baseline" "$large" > /dev/null  # warm the page cache for both runs
echo "== swan convert --bits $bits --group-size $group_size on $large"
for method in minmax optimized; do
  rm -rf "$bench_dir/out-scales-$method"
  read -r wall cpu rss < <(measure "$swan" convert "$large" -o "$bench_dir/out-scales-$method" --bits "$bits" \
    --group-size "$group_size" --scales "$method" --quiet --force)
  echo "$method: ${wall} s wall, ${cpu} CPU-s, peak RSS $((rss / 1024)) MB"
  declare "cpu_$method=$cpu" "rss_$method=$rss"
  rm -rf "$bench_dir/out-scales-$method"
done
echo "optimized / minmax: $(ratio "$cpu_optimized" "$cpu_minmax")x the CPU (goal <= 3x), $(ratio "$rss_optimized" "$rss_minmax")x the peak RSS"
