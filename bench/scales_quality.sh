#!/usr/bin/env bash
# KL-divergence of `--scales optimized` against `--scales minmax` at identical bytes: uniform
# 2-bit g32, 3-bit g64, 4-bit g64 and 4-bit g128 on qwen3-tiny-5.8m (WikiText-2 test, first
# 40 chunks of 512 tokens; TinyStories text) and stories260k (TinyStories text, ctx 256),
# each quantized model measured against the unquantized one with swan's own inference. The
# base model's pass is computed once per model and text (--save-base / --base-logits).
#   bench/scales_quality.sh [SWAN_BINARY] [SHARED_DIR]
set -euo pipefail
swan=${1:-build/swan}
shared=${2:-../shared}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cases=(
  "qwen3-tiny-5.8m|wikitext-2 test|models/qwen3-tiny-5.8m|$shared/data/wikitext-2-raw/wiki.test.raw|--chunks 40"
  "qwen3-tiny-5.8m|TinyStories|models/qwen3-tiny-5.8m|data/tinystories_valid_head100.txt|"
  "stories260k|TinyStories|$shared/models/stories260k|data/tinystories_valid_head100.txt|--ctx 256"
)
settings=("2 32" "3 64" "4 64" "4 128")

printf '| model | text | setting | bytes | KLD minmax | KLD optimized | KLD change | PPL minmax | PPL optimized | top-1 minmax %% | top-1 optimized %% |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|\n'
for entry in "${cases[@]}"; do
  IFS='|' read -r name text_name model text extra <<< "$entry"
  base="$work/base-$(echo "$name-$text_name" | tr -c 'a-zA-Z0-9' _).bin"
  # shellcheck disable=SC2086
  "$swan" eval kld "$model" "$model" --text "$text" $extra --save-base "$base" --json --quiet > /dev/null
  for setting in "${settings[@]}"; do
    read -r bits group_size <<< "$setting"
    for method in minmax optimized; do
      "$swan" convert "$model" -o "$work/$method" --bits "$bits" --group-size "$group_size" --scales "$method" \
        --force --quiet
      "$swan" inspect "$work/$method" --json > "$work/$method.inspect.json"
      # shellcheck disable=SC2086
      "$swan" eval kld "$model" "$work/$method" --text "$text" $extra --base-logits "$base" --json --quiet \
        > "$work/$method.kld.json"
    done
    python3 - "$name" "$text_name" "$bits" "$group_size" "$work" <<'PY'
import json, sys
name, text, bits, group_size, work = sys.argv[1:]
k = {m: json.load(open(f"{work}/{m}.kld.json")) for m in ("minmax", "optimized")}
size = {m: json.load(open(f"{work}/{m}.inspect.json"))["summary"]["total_bytes"] for m in ("minmax", "optimized")}
assert size["minmax"] == size["optimized"], size
mm, op = k["minmax"], k["optimized"]
if mm["kld_mean"] == 0.0 and op["kld_mean"] == 0.0:  # every matrix narrower than the group: kept float
    print(f"| {name} | {text} | {bits}-bit g{group_size} | {size['minmax']} | nothing quantized (no matrix is "
          f"{group_size} wide) | | | | | | |")
    sys.exit(0)
change = 100.0 * (op["kld_mean"] / mm["kld_mean"] - 1.0)
print(f"| {name} | {text} | {bits}-bit g{group_size} | {size['minmax']} | {mm['kld_mean']:.5f} ± {mm['kld_stderr']:.5f} "
      f"| {op['kld_mean']:.5f} ± {op['kld_stderr']:.5f} | {change:+.1f} % | {mm['ppl_model']:.4f} | {op['ppl_model']:.4f} "
      f"| {mm['top1_agreement']:.2f} | {op['top1_agreement']:.2f} |")
PY
  done
done
