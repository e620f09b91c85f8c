#!/usr/bin/env bash
# A/B of two swan builds' `--scales optimized` output (for example two candidate counts of
# the clipping search): each model is converted by both binaries at the same settings and
# both outputs measured with `swan eval kld` (binary A's eval, one saved base pass per model
# and text) over the same tokens. Prints KLD mean ± standard error per build and the change.
# Cases: qwen3-tiny-5.8m and stories260k (ctx 256) on data/tinystories_valid_head100.txt,
# uniform 2-bit g32 and 4-bit g64; pass more settings as "BITS GROUP_SIZE" arguments.
#   bench/scales_ab.sh SWAN_A SWAN_B [SHARED_DIR] ["BITS GROUP_SIZE" ...]
set -euo pipefail
swan_a=${1:?usage: scales_ab.sh SWAN_A SWAN_B [SHARED_DIR] [\"BITS GROUP_SIZE\" ...]}
swan_b=${2:?usage: scales_ab.sh SWAN_A SWAN_B [SHARED_DIR] [\"BITS GROUP_SIZE\" ...]}
shared=${3:-../shared}
shift $(($# < 3 ? $# : 3))
settings=("$@")
[ ${#settings[@]} -gt 0 ] || settings=("2 32" "4 64")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cases=(
  "qwen3-tiny-5.8m|models/qwen3-tiny-5.8m|"
  "stories260k|$shared/models/stories260k|--ctx 256"
)
text=data/tinystories_valid_head100.txt

printf '| model | setting | KLD A | KLD B | B vs A | top-1 A %% | top-1 B %% |\n|---|---|---|---|---|---|---|\n'
for entry in "${cases[@]}"; do
  IFS='|' read -r name model extra <<< "$entry"
  base="$work/base-$name.bin"
  # shellcheck disable=SC2086
  "$swan_a" eval kld "$model" "$model" --text "$text" $extra --save-base "$base" --json --quiet > /dev/null
  for setting in "${settings[@]}"; do
    read -r bits group_size <<< "$setting"
    for side in a b; do
      binary=$swan_a
      [ "$side" = b ] && binary=$swan_b
      "$binary" convert "$model" -o "$work/$side" --bits "$bits" --group-size "$group_size" --scales optimized \
        --force --quiet
      # shellcheck disable=SC2086
      "$swan_a" eval kld "$model" "$work/$side" --text "$text" $extra --base-logits "$base" --json --quiet \
        > "$work/$side.json"
    done
    python3 - "$name" "$bits" "$group_size" "$work" <<'PY'
import json, sys
name, bits, group_size, work = sys.argv[1:]
a, b = (json.load(open(f"{work}/{s}.json")) for s in ("a", "b"))
change = 100.0 * (b["kld_mean"] / a["kld_mean"] - 1.0)
print(f"| {name} | {bits}-bit g{group_size} | {a['kld_mean']:.5f} ± {a['kld_stderr']:.5f} "
      f"| {b['kld_mean']:.5f} ± {b['kld_stderr']:.5f} | {change:+.2f} % "
      f"| {a['top1_agreement']:.2f} | {b['top1_agreement']:.2f} |")
PY
  done
done
