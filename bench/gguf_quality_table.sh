#!/usr/bin/env bash
# Quality vs size of GGUF output on one model: llama-quantize's presets and uniform types
# written by swan (no importance matrix), next to MLX uniform 4-bit g64 as a same-session
# baseline, each measured against the unquantized model with swan's own inference
# (KL-divergence ± standard error, top-1 agreement, PPL). Sizes are the weight tensors'
# bytes (GGUF: all tensor data; MLX: weights + scales + biases), bits/weight over all parameters.
#   bench/gguf_quality_table.sh [MODEL_DIR] [TEXT] [SWAN_BINARY] [EXTRA eval FLAGS...]
set -euo pipefail
model=${1:-models/qwen3-tiny-5.8m}
text=${2:-data/tinystories_valid_head100.txt}
swan=${3:-build/swan}
shift $(( $# < 3 ? $# : 3 ))
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$swan" eval kld "$model" "$model" --text "$text" --save-base "$work/base.logits" --json --quiet "$@" > "$work/base.json"
printf '| variant | bits/weight | tensor bytes | KLD mean ± se | KLD p99 | top-1 agree %% | PPL |\n|---|---|---|---|---|---|---|\n'
printf '| original | - | - | 0 | 0 | 100 | %.4f |\n' "$(python3 -c "import json;print(json.load(open('$work/base.json'))['ppl_base'])")"
row() {  # name, inspect json, kld json
  python3 - "$@" <<'PY'
import json, sys
name, inspect_path, kld_path = sys.argv[1:]
inspect = json.load(open(inspect_path)); kld = json.load(open(kld_path))
if "summary" in inspect:  # MLX directory
    bits, size = inspect["summary"]["bits_per_weight_with_overhead"], inspect["summary"]["total_bytes"]
else:
    bits, size = inspect["bits_per_weight"], inspect["total_bytes"]
print(f"| {name} | {bits:.3f} | {size} | {kld['kld_mean']:.5f} ± {kld['kld_stderr']:.5f} | {kld['kld_p99']:.4f} | "
      f"{kld['top1_agreement']:.2f} | {kld['ppl_model']:.4f} |")
PY
}
gguf() {  # name, convert flags...
  local name=$1; shift
  if ! "$swan" convert "$model" -o "$work/$name.gguf" --format gguf --quiet "$@" 2> "$work/$name.err"; then
    echo "| $name | $(head -c 150 "$work/$name.err" | tr '\n|' '  ') | | | | | |"; return
  fi
  "$swan" inspect "$work/$name.gguf" --json > "$work/$name.inspect.json"
  "$swan" eval kld "$work/$name.gguf" --base-logits "$work/base.logits" --tokenizer "$model" --text "$text" --json --quiet > "$work/$name.kld.json"
  row "gguf $name" "$work/$name.inspect.json" "$work/$name.kld.json"
}
for preset in Q8_0 Q6_K Q5_K_M Q4_K_M Q4_K_S Q3_K_M Q3_K_S Q2_K; do gguf "$preset" --preset "$preset"; done
for type in Q4_0 Q4_K; do gguf "$type-pure" --type "$type"; done
"$swan" convert "$model" -o "$work/mlx4" --bits 4 --group-size 64 --quiet
"$swan" inspect "$work/mlx4" --json > "$work/mlx4.inspect.json"
"$swan" eval kld "$work/mlx4" --base-logits "$work/base.logits" --tokenizer "$model" --text "$text" --json --quiet > "$work/mlx4.kld.json"
row "mlx uniform 4-bit g64" "$work/mlx4.inspect.json" "$work/mlx4.kld.json"
