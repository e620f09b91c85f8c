#!/usr/bin/env bash
# Is `swan eval ppl` at its default thread count ever slower than at one thread, idle or while
# other CPU-bound processes run? Full perplexity passes (ctx 512, CHUNKS chunks of WikiText-2)
# at the default thread count (no --threads: OpenMP's default, all cores) and at --threads 1,
# alternately, REPEATS times each; then the same with one busy loop per core started by this
# script (and killed by it). Prints the medians of the evaluation time (--json
# evaluation_seconds: the chunks' forward passes and scoring, without reading, tokenizing and
# loading) and the ratio default / 1 thread (lower is better; the goal is <= 1), with the load
# average before and after each block. Other load on the machine moves the absolute times;
# compare the ratios.
#   bench/eval_threads.sh [BUILD_DIR=build] [CHUNKS=40] [REPEATS=3] [MODEL=models/qwen3-tiny-5.8m] [TEXT]
set -euo pipefail
build=${1:-build}
chunks=${2:-40}
repeats=${3:-3}
model=${4:-models/qwen3-tiny-5.8m}
text=${5:-../shared/data/wikitext-2-raw/wiki.test.raw}
swan="$build/swan"
[ -x "$swan" ] || { echo "eval_threads.sh: no swan binary at $swan (build first)" >&2; exit 1; }
[ -r "$text" ] || { echo "eval_threads.sh: cannot read the text $text" >&2; exit 1; }

# shellcheck source=busy_load.sh
source "$(dirname "$0")/busy_load.sh"
work=$(mktemp -d)
trap 'stop_busy; rm -rf "$work"' EXIT

# evaluation_seconds and wall seconds of one pass: run_once [--threads N]
run_once() {
  local start end json
  start=$(date +%s.%N)
  json=$("$swan" eval ppl "$model" --text "$text" --chunks "$chunks" --json --quiet "$@")
  end=$(date +%s.%N)
  python3 -c 'import json, sys; r = json.loads(sys.argv[1]); print("%.3f %.3f %.6f" % (r["evaluation_seconds"], float(sys.argv[3]) - float(sys.argv[2]), r["ppl"]))' \
    "$json" "$start" "$end"
}
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

echo "swan eval ppl $model, $text, ctx 512, $chunks chunks; $(nproc) cores; median of $repeats alternating runs"
printf '| load | load average before → after | default threads: evaluation s | 1 thread: evaluation s | default / 1 | PPL (default, 1) |\n'
printf '|---|---|---|---|---|---|\n'
for load in idle busy; do
  [[ $load == busy ]] && start_busy
  before=$(loadavg)
  : > "$work/default"
  : > "$work/one"
  for _ in $(seq "$repeats"); do
    run_once >> "$work/default"
    run_once --threads 1 >> "$work/one"
  done
  many=$(awk '{ print $1 }' "$work/default" | median)
  one=$(awk '{ print $1 }' "$work/one" | median)
  ppl_many=$(awk 'NR == 1 { print $3 }' "$work/default")
  ppl_one=$(awk 'NR == 1 { print $3 }' "$work/one")
  label=$load
  [[ $load == busy ]] && label="busy (+$(nproc) busy loops)"
  printf '| %s | %s → %s | %s | %s | %s | %s, %s |\n' "$label" "$before" "$(loadavg)" "$many" "$one" \
    "$(awk -v a="$many" -v b="$one" 'BEGIN { printf "%.2f", a / b }')" "$ppl_many" "$ppl_one"
  stop_busy
done
