#!/usr/bin/env bash
# Quality at equal size for GGUF: swan's byte-budget planner (--format gguf --target-size)
# against llama-quantize's presets as swan reproduces them (no importance matrix). Each plan
# gets exactly the tensor bytes of the preset it is compared with (`total_bytes` of
# `swan inspect --json`); every file is measured with `swan eval kld` against the unquantized
# model over the same tokens (KL-divergence ± standard error, p99, top-1, PPL).
#   bench/gguf_plan_quality.sh MODEL_DIR TEXT CTX [CHUNKS] [SWAN_BINARY] > table.md
# GGUF_PRESETS (default: Q4_K_M Q3_K_M) and PLAN_SENSITIVITIES (default: prior measured)
# choose the variants. The last column pairs each plan with its baseline token by token
# (`swan eval kld --paired`): the change of mean KLD ± its paired standard error.
set -euo pipefail
model=$1
text=$2
ctx=$3
chunks=${4:-0}
swan=${5:-build/swan}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chunk_args=()
[[ "$chunks" != 0 ]] && chunk_args=(--chunks "$chunks")

"$swan" eval kld "$model" "$model" --text "$text" --ctx "$ctx" "${chunk_args[@]}" --save-base "$work/base.logits" \
  --json --quiet > "$work/base.json"
printf '| variant | bits/weight | tensor bytes | KLD mean ± stderr | KLD p99 | top-1 %% | PPL | KLD vs baseline, paired |\n|---|---|---|---|---|---|---|---|\n'
measure() {  # name file [scores of the baseline to pair with]
  local name=$1 file=$2 paired=()
  [[ $# -ge 3 ]] && paired=(--paired "$3")
  "$swan" inspect "$file" --json > "$work/$name.inspect.json"
  "$swan" eval kld "$file" --base-logits "$work/base.logits" --tokenizer "$model" --text "$text" --ctx "$ctx" \
    "${chunk_args[@]}" --save-scores "$work/$name.scores" "${paired[@]}" --json --quiet > "$work/$name.kld.json"
  python3 - "$name" "$work/$name.inspect.json" "$work/$name.kld.json" <<'PY'
import json, sys
name, inspect_path, kld_path = sys.argv[1:]
def paired(k):  # this variant's mean KLD relative to its baseline's, on the same tokens
    p = k.get("paired")
    if not p: return "-"
    return f"{100 * (p['kld_ratio'] - 1):+.1f} % ± {100 * p['kld_ratio_stderr']:.1f} ({p['kld_difference'] / p['kld_difference_stderr']:+.1f} se)" if p['kld_difference_stderr'] > 0 else "0"

s = json.load(open(inspect_path)); k = json.load(open(kld_path))
print(f"| {name} | {s['bits_per_weight']:.3f} | {s['total_bytes']} | {k['kld_mean']:.5f} ± {k['kld_stderr']:.5f} | "
      f"{k['kld_p99']:.4f} | {k['top1_agreement']:.2f} | {k['ppl_model']:.4f} | {paired(k)} |", flush=True)
PY
}
for preset in ${GGUF_PRESETS:-Q4_K_M Q3_K_M}; do
  "$swan" convert "$model" -o "$work/$preset.gguf" --format gguf --preset "$preset" --quiet --force
  measure "gguf $preset" "$work/$preset.gguf"
  bytes=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['total_bytes'])" "$work/gguf $preset.inspect.json")
  for sensitivity in ${PLAN_SENSITIVITIES:-prior measured}; do
    "$swan" convert "$model" -o "$work/plan.gguf" --format gguf --target-size "$bytes" --sensitivity "$sensitivity" \
      --quiet --force
    measure "plan-$sensitivity@$preset" "$work/plan.gguf" "$work/gguf $preset.scores"
  done
  rm -f "$work/$preset.gguf" "$work/plan.gguf"
done
