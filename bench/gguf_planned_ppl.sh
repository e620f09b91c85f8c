#!/usr/bin/env bash
# A planned GGUF (`swan convert --format gguf --target-bpw X`) in llama.cpp: llama-perplexity's
# PPL of the file against `swan eval ppl` of the same file (tokenized by the tokenizer keys
# the file carries, no --tokenizer), same text and context, all chunks. llama.cpp is not part
# of swan: pass the directory of an existing build's binaries (llama-perplexity).
# MODELS lists MODEL:BPW:CTX (stories260k's rows of 64 and 172 allow nothing below 7.0 bits/weight).
#   bench/gguf_planned_ppl.sh LLAMA_BIN_DIR [SWAN_BUILD=build] [TEXT=data/tinystories_valid_head100.txt] [MODELS="models/qwen3-tiny-5.8m:4.5:512 tests/fixtures/models/stories260k:8:256"]
set -euo pipefail
llama_bin=${1:?usage: gguf_planned_ppl.sh LLAMA_BIN_DIR [SWAN_BUILD] [TEXT] [MODELS]}
build=${2:-build}
text=${3:-data/tinystories_valid_head100.txt}
models=${4:-models/qwen3-tiny-5.8m:4.5:512 tests/fixtures/models/stories260k:8:256}
[ -x "$llama_bin/llama-perplexity" ] || { echo "gguf_planned_ppl.sh: no llama-perplexity in $llama_bin" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '| model | --target-bpw | file bits/weight | ctx, chunks | swan eval ppl | llama-perplexity | difference |\n|---|---|---|---|---|---|---|\n'
for entry in $models; do
  IFS=: read -r model bpw ctx <<< "$entry"
  gguf="$work/$(basename "$model").gguf"
  "$build/swan" convert "$model" -o "$gguf" --format gguf --target-bpw "$bpw" --force --quiet
  file_bpw=$("$build/swan" inspect "$gguf" --json | python3 -c 'import json, sys; print("%.3f" % json.load(sys.stdin)["bits_per_weight"])')
  swan_json=$("$build/swan" eval ppl "$gguf" --text "$text" --ctx "$ctx" --json --quiet)
  LD_LIBRARY_PATH="$llama_bin" "$llama_bin/llama-perplexity" -m "$gguf" -f "$text" -c "$ctx" -b "$ctx" -t 2 > "$work/llama.log" 2>&1
  python3 - "$swan_json" "$work/llama.log" "$(basename "$model")" "$bpw" "$file_bpw" "$ctx" <<'PY'
import json, re, sys
swan = json.loads(sys.argv[1])
log = open(sys.argv[2]).read()
m = re.search(r"Final estimate: PPL = ([0-9.]+) \+/- ([0-9.]+)", log)
chunks = re.search(r"calculating perplexity over (\d+) chunks", log)
llama, llama_se = float(m.group(1)), float(m.group(2))
print(f"| {sys.argv[3]} | {sys.argv[4]} | {sys.argv[5]} | {sys.argv[6]}, {swan['chunks']} / {chunks.group(1) if chunks else '?'} | "
      f"{swan['ppl']:.4f} ± {swan['ppl_stderr']:.4f} | {llama:.4f} ± {llama_se:.4f} | {100 * (swan['ppl'] / llama - 1):+.4f} % |")
PY
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
