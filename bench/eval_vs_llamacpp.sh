#!/usr/bin/env bash
# A full perplexity pass of swan against llama.cpp's llama-perplexity on the same weights and
# text: swan writes MODEL as GGUF (`swan convert --format gguf --type T`), then both programs
# evaluate that one file on WikiText-2 with the same protocol (ctx 512, batch 512 = ctx, so
# llama.cpp multiplies matrices over the chunk's positions as swan does, the first CHUNKS
# chunks, BOS per chunk) and the same thread count, alternately, REPEATS times; idle, then
# with one busy loop per core started (and killed) by this script. Prints median evaluation
# rates (tokens/s over chunks x 512 tokens; swan: --json evaluation_seconds; llama.cpp: its
# log's timestamps from "calculating perplexity" to "Final estimate", so both exclude reading,
# tokenizing and loading), their ratio (swan / llama.cpp, higher is better), both
# perplexities and the load average. llama.cpp is not part of swan: pass the directory of an
# existing build's binaries.
#   bench/eval_vs_llamacpp.sh LLAMA_BIN_DIR [BUILD=build] [CHUNKS=20] [THREADS="1 2"] [REPEATS=3] [TYPES="F32 Q8_0"]
set -euo pipefail
llama_bin=${1:?usage: eval_vs_llamacpp.sh LLAMA_BIN_DIR [BUILD] [CHUNKS] [THREADS] [REPEATS] [TYPES]}
build=${2:-build}
chunks=${3:-20}
thread_counts=${4:-1 2}
repeats=${5:-3}
types=${6:-F32 Q8_0}
model=models/qwen3-tiny-5.8m
text=../shared/data/wikitext-2-raw/wiki.test.raw
[ -x "$llama_bin/llama-perplexity" ] || { echo "eval_vs_llamacpp.sh: no llama-perplexity in $llama_bin" >&2; exit 1; }
[ -x "$build/swan" ] || { echo "eval_vs_llamacpp.sh: no swan binary in $build (build first)" >&2; exit 1; }
work=$(mktemp -d)
# shellcheck source=busy_load.sh
source "$(dirname "$0")/busy_load.sh"
trap 'stop_busy; rm -rf "$work"' EXIT
tokens=$((chunks * 512))

# "SECONDS PPL" of one pass of each program.
swan_once() {  # FILE THREADS
  "$build/swan" eval ppl "$1" --tokenizer "$model" --text "$text" --chunks "$chunks" --threads "$2" --json --quiet |
    python3 -c 'import json, sys; r = json.load(sys.stdin); print(r["evaluation_seconds"], r["ppl"])'
}
llama_once() {  # FILE THREADS
  "$llama_bin/llama-perplexity" -m "$1" -f "$text" -c 512 -b 512 --chunks "$chunks" -t "$2" -tb "$2" 2>&1 |
    python3 -c '
import re, sys
def seconds(stamp):  # llama.cpp log stamps: minutes.seconds.milliseconds.microseconds
    m, s, ms, us = (int(p) for p in stamp.split("."))
    return 60 * m + s + ms / 1e3 + us / 1e6
start = end = ppl = None
for line in sys.stdin:
    stamp = line.split(" ", 1)[0]
    if "calculating perplexity over" in line: start = seconds(stamp)
    found = re.search(r"Final estimate: PPL = ([0-9.]+)", line)
    if found: end, ppl = seconds(stamp), float(found.group(1))
if start is None or end is None: sys.exit("eval_vs_llamacpp.sh: llama-perplexity printed no timings (failed?)")
print(end - start, ppl)'
}
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

for type in $types; do
  "$build/swan" convert "$model" -o "$work/model-$type.gguf" --format gguf --type "$type" --force --quiet
done
echo "qwen3-tiny-5.8m GGUF, WikiText-2 test, ctx 512, batch 512, $chunks chunks ($tokens tokens), median of $repeats; $(nproc) cores"
printf '| load | load average before → after | weights | threads | swan tokens/s | llama.cpp tokens/s | swan / llama.cpp | swan PPL | llama.cpp PPL |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
for load in idle busy; do
  [[ $load == busy ]] && start_busy
  for type in $types; do
    for threads in $thread_counts; do
      before=$(loadavg)
      : > "$work/swan"
      : > "$work/llama"
      for _ in $(seq "$repeats"); do
        swan_once "$work/model-$type.gguf" "$threads" >> "$work/swan"
        llama_once "$work/model-$type.gguf" "$threads" >> "$work/llama"
      done
      swan_s=$(awk '{ print $1 }' "$work/swan" | median)
      llama_s=$(awk '{ print $1 }' "$work/llama" | median)
      label=$load
      [[ $load == busy ]] && label="busy (+$(nproc) loops)"
      awk -v l="$label" -v b="$before" -v a="$(loadavg)" -v t="$type" -v n="$threads" -v tok="$tokens" \
        -v s="$swan_s" -v q="$llama_s" -v sp="$(awk 'NR == 1 { print $2 }' "$work/swan")" \
        -v lp="$(awk 'NR == 1 { print $2 }' "$work/llama")" \
        'BEGIN { printf "| %s | %s → %s | %s | %s | %.0f | %.0f | %.2f | %.4f | %.4f |\n", l, b, a, t, n, tok / s, tok / q, q / s, sp, lp }'
    done
  done
  stop_busy
done
