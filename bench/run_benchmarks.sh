#!/usr/bin/env bash
# swan's speed and memory benchmarks, each side by side with a baseline measured in the
# same run, reported as ratios. Models are synthetic (bench/make_synthetic_model.cpp) with
# real layouts, generated once into $BENCH_DIR (default /tmp/swan-bench, ~5 GB).
#   bench/run_benchmarks.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
bench_dir=${BENCH_DIR:-/tmp/swan-bench}
swan="$build/swan"
mkdir -p "$bench_dir"

small="$bench_dir/qwen2.5-0.5b-synth"   # 0.49 B params, 24 layers, bf16, tied
large="$bench_dir/qwen3-8b-2layer-synth" # Qwen3-8B shapes, 2 layers, 1.6 B params, bf16, untied
[ -f "$small/config.json" ] || "$build/make_synthetic_model" qwen2.5-0.5b "$small"
[ -f "$large/config.json" ] || "$build/make_synthetic_model" qwen3-8b "$large" --layers 2

# Runs a command under /usr/bin/time; prints "wall_s cpu_s max_rss_kb".
measure() {
  local log
  log=$(mktemp)
  /usr/bin/time -f "%e %U %S %M" -o "$log" "$@" > /dev/null
  awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}' "$log"
  rm -f "$log"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
largest_f32_mb() {  # the largest tensor of a model as float32, in MB
  python3 - "$1" <<'PY'
import json, struct, sys
path = sys.argv[1] + "/model.safetensors"
with open(path, "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    header = json.loads(f.read(n))
largest = max((eval("*".join(map(str, v["shape"])) or "1") for k, v in header.items() if k != "__metadata__"))
print(f"{largest * 4 / 1e6:.0f}")
PY
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo

echo "== swan analyze on $small ($(du -sh "$small" | cut -f1))"
"$build/read_baseline" "$small" > /dev/null  # warm the page cache so both sides read from memory
read_s=$(measure "$build/read_baseline" "$small" | cut -d' ' -f1)
read -r nosvd_wall nosvd_cpu nosvd_rss < <(measure "$swan" analyze "$small" -o "$bench_dir/m-nosvd.json" -q --no-svd)
read -r full_wall full_cpu full_rss < <(measure "$swan" analyze "$small" -o "$bench_dir/m.json" -q)
read -r prot_wall prot_cpu prot_rss < <(measure "$swan" analyze "$small" -o "$bench_dir/m-prot.json" -q --score-protected)
largest=$(largest_f32_mb "$small")
echo "plain read of all weight bytes:          ${read_s} s"
echo "analysis without SVD:                    ${nosvd_wall} s wall, ${nosvd_cpu} CPU-s  -> $(ratio "$nosvd_wall" "$read_s")x the read time"
echo "full analysis (default):                 ${full_wall} s wall, ${full_cpu} CPU-s, peak RSS $((full_rss / 1024)) MB"
echo "full analysis + protected tensors scored: ${prot_wall} s wall, ${prot_cpu} CPU-s, peak RSS $((prot_rss / 1024)) MB"
echo "largest tensor as float32: ${largest} MB -> default peak RSS = $(ratio "$((full_rss / 1024))" "$largest")x, with --score-protected $(ratio "$((prot_rss / 1024))" "$largest")x"
echo "reference (baa-ai/swan-quantization, issue figure on a 0.5 B bf16 model, 2 cores): 122 CPU-s, 7.3 GiB"
echo "  -> swan default uses $(ratio 122 "$full_cpu")x less CPU time, $(ratio 122 "$prot_cpu")x with --score-protected (same work as the reference)"
echo

echo "== swan convert (uniform 4-bit g64) on $large ($(du -sh "$large" | cut -f1))"
rm -rf "$bench_dir/out-q4"
"$build/read_baseline" "$large" > /dev/null
read -r conv_wall conv_cpu conv_rss < <(measure "$swan" convert "$large" -o "$bench_dir/out-q4" -q --quiet --force)
out_bytes=$(du -sb "$bench_dir/out-q4" | cut -f1)
baseline=$("$build/read_baseline" "$large" --write "$bench_dir/write-baseline.bin" "$out_bytes")
base_s=$(python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(f\"{d['read_seconds'] + d['write_seconds']:.3f}\")" "$baseline")
largest=$(largest_f32_mb "$large")
echo "read input + write ${out_bytes} bytes (baseline): ${base_s} s"
echo "swan convert:                             ${conv_wall} s wall, ${conv_cpu} CPU-s -> $(ratio "$conv_wall" "$base_s")x the baseline"
echo "peak RSS $((conv_rss / 1024)) MB; largest tensor as float32 ${largest} MB -> $(ratio "$((conv_rss / 1024))" "$largest")x"
rm -rf "$bench_dir/out-q4"
echo

echo "== inference prefill (build/inference_bench)"
OMP_WAIT_POLICY=passive "$build/inference_bench" 2>&1 | tail -n 12
