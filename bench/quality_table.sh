#!/usr/bin/env bash
# Quality vs size on one model: uniform MLX quantization at several bit widths and group
# sizes, and SWAN's allocation under both threshold sets, each measured against the
# unquantized model with swan's own inference (KL-divergence, top-1 agreement, PPL).
#   bench/quality_table.sh [MODEL_DIR] [TEXT] [SWAN_BINARY]
set -euo pipefail
model=${1:-models/qwen3-tiny-5.8m}
text=${2:-data/tinystories_valid_head100.txt}
swan=${3:-build/swan}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$swan" eval ppl "$model" --text "$text" --json --quiet > "$work/base.json"
printf '| variant | bits/weight (incl. scales) | size (bytes) | KLD mean | KLD p99 | top-1 agree %% | PPL |\n|---|---|---|---|---|---|---|\n'
printf '| bf16 (original) | 16 | - | 0 | 0 | 100 | %.4f |\n' "$(python3 -c "import json;print(json.load(open('$work/base.json'))['ppl'])")"
run() {
  local name=$1; shift
  "$swan" convert "$model" -o "$work/$name" --quiet "$@"
  "$swan" inspect "$work/$name" --json > "$work/$name.inspect.json"
  "$swan" eval kld "$model" "$work/$name" --text "$text" --json --quiet > "$work/$name.kld.json"
  python3 - "$name" "$work/$name.inspect.json" "$work/$name.kld.json" <<'PY'
import json, sys
name, inspect_path, kld_path = sys.argv[1:]
inspect = json.load(open(inspect_path)); kld = json.load(open(kld_path))
summary = inspect["summary"]
bits = summary["bits_per_weight_with_overhead"]
size = summary["total_bytes"]
print(f"| {name} | {bits:.3f} | {size} | {kld['kld_mean']:.5f} | {kld['kld_p99']:.4f} | {kld['top1_agreement']:.2f} | {kld['ppl_model']:.4f} |")
PY
}
run uniform-8bit-g64 --bits 8 --group-size 64
run uniform-6bit-g64 --bits 6 --group-size 64
run uniform-5bit-g64 --bits 5 --group-size 64
run uniform-4bit-g64 --bits 4 --group-size 64
run uniform-4bit-g128 --bits 4 --group-size 128
run uniform-3bit-g64 --bits 3 --group-size 64
run uniform-2bit-g64 --bits 2 --group-size 64
run swan-cli-thresholds --method swan --thresholds cli
run swan-config-thresholds --method swan --thresholds config
