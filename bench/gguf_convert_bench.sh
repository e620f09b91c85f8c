#!/usr/bin/env bash
# GGUF conversion speed and memory: `swan convert --format gguf --preset Q4_K_M` of the
# 1.63 B-param synthetic model (Qwen3-8B shapes, 2 layers, bf16; the tokenizer of
# models/qwen3-tiny-5.8m copied in, padded to the embedding's rows) next to the baseline of
# reading the input and writing (and syncing) as many bytes as the output, in the same run.
#   bench/gguf_convert_bench.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
bench_dir=${BENCH_DIR:-/tmp/swan-bench}
large="$bench_dir/qwen3-8b-2layer-synth"
mkdir -p "$bench_dir"
[ -f "$large/config.json" ] || "$build/make_synthetic_model" qwen3-8b "$large" --layers 2
cp models/qwen3-tiny-5.8m/tokenizer.json models/qwen3-tiny-5.8m/tokenizer_config.json "$large/"
out="$bench_dir/out-q4km.gguf"
rm -f "$out"
"$build/read_baseline" "$large" > /dev/null  # warm the page cache so both sides read from memory
log=$(mktemp)
/usr/bin/time -f "%e %U %S %M" -o "$log" "$build/swan" convert "$large" -o "$out" --format gguf --preset Q4_K_M --quiet
read -r wall user sys rss < "$log"
rm -f "$log"
out_bytes=$(stat -c %s "$out")
baseline=$("$build/read_baseline" "$large" --write "$bench_dir/write-baseline.bin" "$out_bytes")
base_s=$(python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(f\"{d['read_seconds'] + d['write_seconds']:.3f}\")" "$baseline")
echo "read input + write ${out_bytes} bytes (baseline): ${base_s} s"
echo "swan convert --format gguf --preset Q4_K_M: ${wall} s wall, $(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u+s}') CPU-s -> $(awk -v a="$wall" -v b="$base_s" 'BEGIN{printf "%.2f", a/b}')x the baseline; peak RSS $((rss / 1024)) MB"
rm -f "$out" "$bench_dir/write-baseline.bin"
