#!/usr/bin/env bash
# Decode speed of swan against llama.cpp on the same GGUF weights, in one run: swan writes
# the GGUF (`swan convert --format gguf --type T`), then llama.cpp's `llama-bench -n N -p 0`
# and swan's generation loop (`decode_bench --model FILE`: greedy, EOS ignored, N new
# tokens after a 16-token prompt) decode from that same file, one thread each, alternately,
# REPEATS times; the median rates and their ratio are printed. llama.cpp is not part of swan: pass the directory of an existing
# build's binaries (llama-bench). MODELS is a space-separated list; the default adds the two
# tiny MoE models llama.cpp can load (Mixtral as llama with experts, the all-sparse Qwen3-MoE
# as qwen3moe; moe-tiny-qwen3 itself has a dense layer, which qwen3moe cannot represent).
#   bench/llamacpp_decode.sh LLAMA_BIN_DIR [SWAN_BUILD=build] [MODELS="models/qwen3-tiny-5.8m ..."] [N=128] [REPEATS=3] [TYPES="F16 Q8_0 Q4_0"]
set -euo pipefail
llama_bin=${1:?usage: llamacpp_decode.sh LLAMA_BIN_DIR [SWAN_BUILD] [MODEL] [N] [REPEATS] [TYPES]}
build=${2:-build}
models=${3:-models/qwen3-tiny-5.8m tests/fixtures/models/moe-tiny-mixtral tests/fixtures/models/moe-tiny-qwen3-all-sparse}
new_tokens=${4:-128}
repeats=${5:-3}
types=${6:-F16 Q8_0 Q4_0}
[ -x "$llama_bin/llama-bench" ] || { echo "llamacpp_decode.sh: no llama-bench in $llama_bin" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "decode, $new_tokens new tokens, 1 thread, median of $repeats; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| model | weights | GGUF MB | swan tokens/s | llama.cpp tokens/s | swan / llama.cpp |\n|---|---|---|---|---|---|\n'
for model in $models; do
for type in $types; do
  gguf="$work/model-$type.gguf"
  "$build/swan" convert "$model" -o "$gguf" --format gguf --type "$type" --force --quiet
  : > "$work/swan.rates"
  : > "$work/llama.rates"
  for _ in $(seq "$repeats"); do
    OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive "$build/decode_bench" --model "$gguf" "$new_tokens" 1 |
      awk '{ print $1 }' >> "$work/swan.rates"
    "$llama_bin/llama-bench" -m "$gguf" -n "$new_tokens" -p 0 -t 1 -r 1 -o json 2> /dev/null |
      python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["avg_ts"])' >> "$work/llama.rates"
  done
  swan_rate=$(median < "$work/swan.rates")
  llama_rate=$(median < "$work/llama.rates")
  awk -v m="$(basename "$model")" -v t="$type" -v mb="$(stat -c %s "$gguf")" -v s="$swan_rate" -v l="$llama_rate" \
    'BEGIN { printf "| %s | %s | %.2f | %.1f | %.1f | %.2f |\n", m, t, mb / 1e6, s, l, s / l }'
done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
