#!/usr/bin/env bash
# KL-divergence with and without `--equalize` at identical bytes, for both scale methods:
# uniform 2-bit g32, 3-bit g64, 4-bit g64 and 4-bit g128 on qwen3-tiny-5.8m (WikiText-2
# test, first 40 chunks of 512 tokens; TinyStories text) and stories260k (TinyStories text,
# ctx 256), each quantized model measured against the unquantized one with swan's own
# inference over the same tokens (the base pass computed once per model and text); the
# change from equalising is paired token by token (eval kld --save-scores / --paired).
#   bench/equalize_quality.sh [SWAN_BINARY] [SHARED_DIR] [POINTS (default: all)] [SETTINGS...]
set -euo pipefail
swan=${1:-build/swan}
shared=${2:-../shared}
points=${3:-all}
shift $(( $# < 3 ? $# : 3 ))
settings=("$@")
[ ${#settings[@]} -gt 0 ] || settings=("2 32" "3 64" "4 64" "4 128")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cases=(
  "qwen3-tiny-5.8m|wikitext-2 test|models/qwen3-tiny-5.8m|$shared/data/wikitext-2-raw/wiki.test.raw|--chunks 40"
  "qwen3-tiny-5.8m|TinyStories|models/qwen3-tiny-5.8m|data/tinystories_valid_head100.txt|"
  "stories260k|TinyStories|$shared/models/stories260k|data/tinystories_valid_head100.txt|--ctx 256"
)
variants=("minmax|" "minmax|--equalize=$points" "optimized|" "optimized|--equalize=$points")

printf '| model | text | setting | bytes | scales | KLD | KLD equalized (%s) | KLD change (paired) | PPL | PPL equalized | top-1 %% | top-1 equalized %% |\n' "$points"
printf '|---|---|---|---|---|---|---|---|---|---|---|---|\n'
for entry in "${cases[@]}"; do
  IFS='|' read -r name text_name model text extra <<< "$entry"
  base="$work/base.bin"
  # shellcheck disable=SC2086
  "$swan" eval kld "$model" "$model" --text "$text" $extra --save-base "$base" --json --quiet > /dev/null
  for setting in "${settings[@]}"; do
    read -r bits group_size <<< "$setting"
    for i in "${!variants[@]}"; do
      IFS='|' read -r scales equalize <<< "${variants[$i]}"
      # Plain runs (0, 2) keep their per-token scores; each equalised run is paired with its plain one.
      scores=(--save-scores "$work/v$i.scores")
      [ -z "$equalize" ] || scores=(--paired "$work/v$((i - 1)).scores")
      # shellcheck disable=SC2086
      "$swan" convert "$model" -o "$work/v$i" --bits "$bits" --group-size "$group_size" --scales "$scales" \
        $equalize --force --quiet
      "$swan" inspect "$work/v$i" --json > "$work/v$i.inspect.json"
      # shellcheck disable=SC2086
      "$swan" eval kld "$model" "$work/v$i" --text "$text" $extra --base-logits "$base" --json --quiet \
        "${scores[@]}" > "$work/v$i.kld.json"
    done
    python3 - "$name" "$text_name" "$bits" "$group_size" "$work" <<'PY'
import json, sys
name, text, bits, group_size, work = sys.argv[1:]
k = [json.load(open(f"{work}/v{i}.kld.json")) for i in range(4)]
size = [json.load(open(f"{work}/v{i}.inspect.json"))["summary"]["total_bytes"] for i in range(4)]
assert len(set(size)) == 1, size
if k[0]["kld_mean"] == 0.0 and k[2]["kld_mean"] == 0.0:  # every matrix narrower than the group: kept float
    print(f"| {name} | {text} | {bits}-bit g{group_size} | {size[0]} | — | nothing quantized (equalized: KLD {k[1]['kld_mean']:.1e}, float rounding) | | | | | | |")
    sys.exit(0)
for scales, plain, eq in (("minmax", k[0], k[1]), ("optimized", k[2], k[3])):
    paired = eq["paired"]
    assert abs(paired["other_kld_mean"] - plain["kld_mean"]) <= 1e-12 * plain["kld_mean"], paired
    change = f"{100.0 * (paired['kld_ratio'] - 1.0):+.1f} ± {100.0 * paired['kld_ratio_stderr']:.1f} %"
    print(f"| {name} | {text} | {bits}-bit g{group_size} | {size[0]} | {scales} | {plain['kld_mean']:.5f} ± "
          f"{plain['kld_stderr']:.5f} | {eq['kld_mean']:.5f} ± {eq['kld_stderr']:.5f} | {change} | "
          f"{plain['ppl_model']:.4f} | {eq['ppl_model']:.4f} | {plain['top1_agreement']:.2f} | {eq['top1_agreement']:.2f} |")
PY
  done
done
