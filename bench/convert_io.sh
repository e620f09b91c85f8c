#!/usr/bin/env bash
# Conversion against the I/O floor, in one run: for each model and output format, the
# baseline (read every input weight byte from the page cache through a mapping, then write
# as many bytes as swan's output and fsync them: build/read_baseline) and swan's own
# conversion, alternated RUNS times with the page cache warm for both sides, then the
# median wall times and their ratio. Prints the CPU model and the load average before and
# after, since the machine may be shared (the ratio of medians is what is claimed).
#   bench/convert_io.sh [BUILD_DIR] [RUNS=3]
# With SWAN_BEFORE=/path/to/another/swan, that binary (e.g. an older build) is timed in the
# same alternation and its ratio printed too; its output must be byte-identical.
# SWAN_IO_ROWS=PATTERN runs only the rows whose label matches the grep pattern (e.g. GGUF).
# Models (made once into $BENCH_DIR, default /tmp/swan-bench, ~4.5 GB) are the synthetic
# 0.49 B (Qwen2.5-0.5B layout) and 1.63 B (Qwen3-8B shapes, 2 layers) bf16 models; the
# GGUF rows need a tokenizer, so models/qwen3-tiny-5.8m's is copied in.
set -euo pipefail
build=${1:-build}
runs=${2:-3}
bench_dir=${BENCH_DIR:-/tmp/swan-bench}
mkdir -p "$bench_dir"
small="$bench_dir/qwen2.5-0.5b-synth"
large="$bench_dir/qwen3-8b-2layer-synth"
[ -f "$small/config.json" ] || "$build/make_synthetic_model" qwen2.5-0.5b "$small"
[ -f "$large/config.json" ] || "$build/make_synthetic_model" qwen3-8b "$large" --layers 2
for m in "$small" "$large"; do
  cp models/qwen3-tiny-5.8m/tokenizer.json models/qwen3-tiny-5.8m/tokenizer_config.json "$m/"
done

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "output file system: $(df -hT "$bench_dir" | awk 'NR==2 {print $2, $1}')"
echo "load before: $(uptime | sed 's/.*load average: //')"

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# bench_one LABEL MODEL OUT -- swan convert arguments...
bench_one() {
  local label=$1 model=$2 out=$3
  shift 4
  grep -q -- "${SWAN_IO_ROWS:-.}" <<< "$label" || return 0
  local base_times=() swan_times=() cpu_times=() before_times=() before_cpu=() log bytes
  log=$(mktemp)
  for ((r = 1; r <= runs; r++)); do
    rm -rf "$out"
    "$build/read_baseline" "$model" > /dev/null  # warm the page cache
    /usr/bin/time -f "%e %U %S %M" -o "$log" "$build/swan" convert "$model" -o "$out" --quiet --force "$@"
    read -r wall user sys rss < "$log"
    swan_times+=("$wall")
    cpu_times+=("$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u + s}')")
    bytes=$(du -sb "$out" | cut -f1)
    if [ -n "${SWAN_BEFORE:-}" ]; then
      rm -rf "$out.before"
      "$build/read_baseline" "$model" > /dev/null
      /usr/bin/time -f "%e %U %S" -o "$log" "$SWAN_BEFORE" convert "$model" -o "$out.before" --quiet --force "$@"
      read -r wall user sys < "$log"
      before_times+=("$wall")
      before_cpu+=("$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u + s}')")
      if [ -d "$out" ]; then diff -rq "$out" "$out.before" > /dev/null; else cmp -s "$out" "$out.before"; fi ||
        { echo "  $label: SWAN_BEFORE's output differs" >&2; exit 1; }
      rm -rf "$out.before"
    fi
    "$build/read_baseline" "$model" > /dev/null
    local baseline
    baseline=$("$build/read_baseline" "$model" --write "$bench_dir/write-baseline.bin" "$bytes")
    base_times+=("$(python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(f\"{d['read_seconds'] + d['write_seconds']:.3f}\")" "$baseline")")
    echo "  $label run $r: baseline ${base_times[-1]} s, swan ${swan_times[-1]} s wall (${cpu_times[-1]} CPU-s, peak RSS $((rss / 1024)) MB)${SWAN_BEFORE:+, before ${before_times[-1]} s (${before_cpu[-1]} CPU-s)}, load $(cut -d' ' -f1 /proc/loadavg)"
  done
  rm -f "$log"
  rm -rf "$out"
  local base_median swan_median cpu_median
  base_median=$(printf '%s\n' "${base_times[@]}" | median)
  swan_median=$(printf '%s\n' "${swan_times[@]}" | median)
  cpu_median=$(printf '%s\n' "${cpu_times[@]}" | median)
  printf '%-44s input %s, output %s bytes: baseline %s s, swan %s s wall (%s CPU-s) -> %.2fx\n' "$label" \
    "$(du -sh "$model" | cut -f1)" "$bytes" "$base_median" "$swan_median" "$cpu_median" \
    "$(awk -v a="$swan_median" -v b="$base_median" 'BEGIN {print a / b}')"
  if [ -n "${SWAN_BEFORE:-}" ]; then
    local before_median before_cpu_median
    before_median=$(printf '%s\n' "${before_times[@]}" | median)
    before_cpu_median=$(printf '%s\n' "${before_cpu[@]}" | median)
    printf '%-44s SWAN_BEFORE: %s s wall (%s CPU-s) -> %.2fx\n' "" "$before_median" "$before_cpu_median" \
      "$(awk -v a="$before_median" -v b="$base_median" 'BEGIN {print a / b}')"
  fi
}

bench_one "MLX 4-bit g64 (-q), 0.49 B" "$small" "$bench_dir/io-mlx-small" -- -q
bench_one "MLX 4-bit g64 (-q), 1.63 B" "$large" "$bench_dir/io-mlx-large" -- -q
bench_one "GGUF --preset Q4_K_M, 1.63 B" "$large" "$bench_dir/io-q4km.gguf" -- --format gguf --preset Q4_K_M
echo "load after: $(uptime | sed 's/.*load average: //')"
rm -f "$bench_dir/write-baseline.bin"
