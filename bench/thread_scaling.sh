#!/usr/bin/env bash
# Does `swan eval ppl` get faster with more threads, also while another CPU-bound process
# runs? A full perplexity pass at 1 and at N threads (default 2), idle and next to one busy
# loop, under swan's own waiting policy (passive, set by swan itself) and under libgomp's
# spinning default (OMP_WAIT_POLICY=active, what swan did before). Median of R runs each;
# the ratios (N threads / 1 thread, lower is better) are what to compare, since the machine's
# other load moves the absolute times.
#   bench/thread_scaling.sh [BUILD_DIR] [MODEL] [TEXT] [THREADS] [REPEATS]
set -euo pipefail
build=${1:-build}
model=${2:-models/qwen3-tiny-5.8m}
text=${3:-data/tinystories_valid_head100.txt}
threads=${4:-2}
repeats=${5:-3}
swan="$build/swan"

# Seconds of one full perplexity pass: run_once THREADS [ENV...]
run_once() {
  local n=$1
  shift
  local start end
  start=$(date +%s.%N)
  env "$@" "$swan" eval ppl "$model" --text "$text" --threads "$n" --quiet > /dev/null
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f\n", b - a }'
}
median_of() {  # median_of THREADS [ENV...]
  for ((i = 0; i < repeats; ++i)); do run_once "$@"; done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

busy_pid=""
stop_busy() { if [[ -n $busy_pid ]]; then kill "$busy_pid" 2>/dev/null || true; wait "$busy_pid" 2>/dev/null || true; busy_pid=""; fi; }
trap stop_busy EXIT

echo "swan eval ppl $model --text $text: median of $repeats full passes, seconds"
printf "%-26s %-6s %8s %8s %8s\n" "wait policy" "load" "1 thr" "$threads thr" "ratio"
for load in idle busy; do
  if [[ $load == busy ]]; then
    bash -c 'while :; do :; done' &
    busy_pid=$!
  fi
  for policy in "swan default (passive)" "OMP_WAIT_POLICY=active"; do
    environment=()
    [[ $policy == OMP_WAIT_POLICY=active ]] && environment=(OMP_WAIT_POLICY=active)
    one=$(median_of 1 "${environment[@]}")
    many=$(median_of "$threads" "${environment[@]}")
    printf "%-26s %-6s %8s %8s %8s\n" "$policy" "$load" "$one" "$many" "$(awk -v a="$many" -v b="$one" 'BEGIN { printf "%.2f", a / b }')"
  done
  stop_busy
done
