#!/usr/bin/env bash
# swan's perplexity of llama.cpp's own GGUF files (shared/golden/gguf/llama-synth), with the
# settings of the golden README's llama-perplexity runs (-c 128, all chunks, BOS per chunk),
# printed next to llama-perplexity's figures from that README.
#   bench/gguf_llamacpp_ppl.sh [SWAN_BINARY]
set -euo pipefail
swan=${1:-build/swan}
dir=../shared/golden/gguf/llama-synth
text=../shared/data/tinystories-style/handwritten_stories.txt
declare -A llamacpp=([F32]="573.5471 ± 9.2787" [F16]="573.5197 ± 9.2767" [BF16]="573.5097 ± 9.2793"
  [Q8_0]="573.5766 ± 9.2689" [Q6_K]="574.1401 ± 9.2703" [Q5_1]="573.7521 ± 9.2919" [Q5_K]="572.5595 ± 9.1384"
  [Q5_0]="571.3861 ± 9.1929" [Q4_K_M]="575.5793 ± 9.3827" [Q4_1]="574.0546 ± 9.4231" [Q4_K]="575.8640 ± 9.3921"
  [Q4_0]="575.9945 ± 9.4670" [Q3_K_M]="573.0442 ± 9.1954" [Q3_K]="573.1856 ± 9.2764" [Q2_K]="575.9838 ± 9.7175")
printf '| file | swan PPL | llama-perplexity PPL (golden README) |\n|---|---|---|\n'
for t in F32 F16 BF16 Q8_0 Q6_K Q5_1 Q5_K Q5_0 Q4_K_M Q4_1 Q4_K Q4_0 Q3_K_M Q3_K Q2_K; do
  ppl=$("$swan" eval ppl "$dir/llama-synth-$t.gguf" --tokenizer "$dir/hf" --text "$text" --ctx 128 --json --quiet |
    python3 -c "import json,sys; r=json.load(sys.stdin); print(f\"{r['ppl']:.4f} ± {r['ppl_stderr']:.4f}\")")
  printf '| %s | %s | %s |\n' "$t" "$ppl" "${llamacpp[$t]}"
done
