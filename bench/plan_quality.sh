#!/usr/bin/env bash
# Quality at equal size: swan's byte-budget plans against uniform quantization, mlx_lm's
# mixed recipes and SWAN's thresholds, every variant written by the same writer and measured
# with the same inference against the unquantized model (KL-divergence, top-1, PPL).
# Each plan gets exactly the bytes of the baseline it is compared with (--target-size).
#   bench/plan_quality.sh MODEL_DIR TEXT CTX [CHUNKS] [SWAN_BINARY] > table.md
# Also writes one JSON line per variant to $PLAN_QUALITY_JSON if set (for charts).
# PLAN_BASELINES, PLAN_SENSITIVITIES (prior measured) and PLAN_SCALES (minmax [optimized])
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
printf '| variant | bits/weight | bytes | KLD mean ± stderr | KLD p99 | top-1 %% | PPL | KLD vs baseline, paired |\n|---|---|---|---|---|---|---|---|\n'
measure() {  # name dir [scores of the baseline to pair with]
  local name=$1 dir=$2 paired=()
  [[ $# -ge 3 ]] && paired=(--paired "$3")
  "$swan" inspect "$dir" --json > "$work/$name.inspect.json"
  "$swan" eval kld "$model" "$dir" --text "$text" --ctx "$ctx" "${chunk_args[@]}" --base-logits "$work/base.logits" \
    --save-scores "$work/$name.scores" "${paired[@]}" --json --quiet > "$work/$name.kld.json"
  python3 - "$name" "$work/$name.inspect.json" "$work/$name.kld.json" <<'PY'
import json, os, sys
name, inspect_path, kld_path = sys.argv[1:]
def paired(k):  # this variant's mean KLD relative to its baseline's, on the same tokens
    p = k.get("paired")
    if not p: return "-"
    return f"{100 * (p['kld_ratio'] - 1):+.1f} % ± {100 * p['kld_ratio_stderr']:.1f} ({p['kld_difference'] / p['kld_difference_stderr']:+.1f} se)" if p['kld_difference_stderr'] > 0 else "0"

s = json.load(open(inspect_path))["summary"]; k = json.load(open(kld_path))
print(f"| {name} | {s['bits_per_weight_with_overhead']:.3f} | {s['total_bytes']} | {k['kld_mean']:.5f} ± {k['kld_stderr']:.5f} | "
      f"{k['kld_p99']:.4f} | {k['top1_agreement']:.2f} | {k['ppl_model']:.4f} | {paired(k)} |", flush=True)
out = os.environ.get("PLAN_QUALITY_JSON")
if out:
    with open(out, "a") as f:
        f.write(json.dumps({"variant": name, "bits_per_weight": s["bits_per_weight_with_overhead"],
                            "bytes": s["total_bytes"], **k}) + "\n")
PY
}
size_of() { python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['summary']['total_bytes'])" "$work/$1.inspect.json"; }
baseline() {  # name convert-args...
  local name=$1; shift
  "$swan" convert "$model" -o "$work/$name" --quiet --force "$@"
  measure "$name" "$work/$name"
  local bytes; bytes=$(size_of "$name")
  for sensitivity in ${PLAN_SENSITIVITIES:-prior measured}; do
    for scales in ${PLAN_SCALES:-minmax}; do
      local suffix=""
      [[ "$scales" != minmax ]] && suffix="+$scales"
      "$swan" convert "$model" -o "$work/plan" --quiet --force --target-size "$bytes" --sensitivity "$sensitivity" \
        --scales "$scales"
      measure "plan-$sensitivity$suffix@$name" "$work/plan" "$work/$name.scores"
    done
  done
  rm -rf "$work/$name" "$work/plan"
}
for variant in ${PLAN_BASELINES:-u3g64 m26 m36 u4g64 u4g32 m46 swan u6g64}; do
  case $variant in
    u2g64) baseline uniform-2bit-g64 --bits 2 --group-size 64 ;;
    u3g64) baseline uniform-3bit-g64 --bits 3 --group-size 64 ;;
    u4g64) baseline uniform-4bit-g64 --bits 4 --group-size 64 ;;
    u4g32) baseline uniform-4bit-g32 --bits 4 --group-size 32 ;;
    u4g128) baseline uniform-4bit-g128 --bits 4 --group-size 128 ;;
    u6g64) baseline uniform-6bit-g64 --bits 6 --group-size 64 ;;
    m26) baseline mlx_lm-mixed_2_6 -q --quant-predicate mixed_2_6 ;;
    m36) baseline mlx_lm-mixed_3_6 -q --quant-predicate mixed_3_6 ;;
    m46) baseline mlx_lm-mixed_4_6 -q --quant-predicate mixed_4_6 ;;
    swan) baseline swan-thresholds --method swan ;;
  esac
done
