#!/usr/bin/env bash
# The README's `swan report` example: a model at 4.5 bits/weight from swan's planner next to
# the baseline variants (uniform, mlx_lm's mixed recipes, SWAN's thresholds), each written by
# `swan convert` and measured by `swan eval kld` against the original over the same tokens,
# then one report page of it all and, when headless Chromium is installed, a screenshot.
#   bench/report_example.sh OUT_DIR [MODEL_DIR] [TEXT] [CHUNKS] [SWAN_BINARY]
# Defaults: models/qwen3-tiny-5.8m, data/tinystories_valid_head100.txt, 10 chunks of 512 tokens.
set -euo pipefail
out=$1
model=${2:-models/qwen3-tiny-5.8m}
text=${3:-data/tinystories_valid_head100.txt}
chunks=${4:-10}
swan=${5:-build/swan}
mkdir -p "$out/variants" "$out/evals"

"$swan" analyze "$model" -o "$out/manifest.json" -q
"$swan" plan "$out/manifest.json" --target-bpw 4.5 -o "$out/plan.json" -q
"$swan" quantize "$model" --plan "$out/plan.json" -o "$out/variants/swan-plan-4.5bpw" --force --quiet
variant() {  # name convert-options...
  local name=$1
  shift
  "$swan" convert "$model" -o "$out/variants/$name" --force --quiet "$@"
}
variant uniform-3bit-g64 --bits 3 --group-size 64
variant uniform-4bit-g128 --bits 4 --group-size 128
variant uniform-4bit-g64 --bits 4 --group-size 64
variant uniform-5bit-g64 --bits 5 --group-size 64
variant mlx_lm-mixed_3_6 -q --quant-predicate mixed_3_6
variant mlx_lm-mixed_4_6 -q --quant-predicate mixed_4_6
variant swan-thresholds --method swan

# The original's pass once; every variant is compared with it over the same tokens.
"$swan" eval kld "$model" "$model" --text "$text" --ctx 512 --chunks "$chunks" --save-base "$out/base.logits" \
  --json --quiet > /dev/null
for dir in "$out"/variants/*/; do
  name=$(basename "$dir")
  "$swan" eval kld "$model" "$dir" --text "$text" --ctx 512 --chunks "$chunks" --base-logits "$out/base.logits" \
    --json --quiet > "$out/evals/$name.json"
done
"$swan" report "$out/variants/swan-plan-4.5bpw" "$out/manifest.json" "$out/plan.json" "$out"/evals/*.json \
  -o "$out/report.html"

if command -v chromium >/dev/null; then
  chromium --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars --disable-crash-reporter \
    --user-data-dir="$out/chromium-profile" --window-size="${REPORT_SCREENSHOT_SIZE:-1200,2400}" \
    --screenshot="$out/report.png" "file://$(realpath "$out/report.html")" > /dev/null 2>&1 < /dev/null
  rm -rf "$out/chromium-profile"
  echo "screenshot: $out/report.png"
fi
