#!/usr/bin/env bash
# swan analyze next to the SWAN reference analyzer on the same model, alternating runs:
# CPU-s (user + sys), wall, peak RSS, the CPU-s ratio, and the agreement of the bit
# decisions of every swan run with every reference run, with the CPU model and the load
# average in the output. The reference is not part of this repository: pass the directory
# of a fetched checkout of baa-ai/swan-quantization (it is imported, never copied); it runs
# under Debian's python3-torch through ../shared/tools/swan/run_swan_reference.py, unseeded
# as its CLI runs.
#   usage: bench/reference_side_by_side.sh BUILD_DIR MODEL_DIR SWAN_REPO [RUNS=3] [OUT_DIR] [-- swan analyze options]
#   e.g.   bench/reference_side_by_side.sh build /tmp/qwen2.5-0.5b-synth /work/ext/swan-ref 3
# Results (manifests, timings, report.txt) stay in OUT_DIR (default: a new temp directory).
set -euo pipefail
build=${1:?build dir}
model=${2:?model dir}
swan_repo=${3:?reference checkout}
runs=${4:-3}
out=${5:-$(mktemp -d /tmp/swan-side-by-side.XXXXXX)}
shift $(( $# < 5 ? $# : 5 ))
[ "${1:-}" = "--" ] && shift
swan_args=("$@")
here=$(cd "$(dirname "$0")" && pwd)
tool=${SWAN_SHARED_DIR:-$here/../../shared}/tools/swan/run_swan_reference.py
python=${PYTHON:-/usr/bin/python3}
[ -f "$tool" ] || { echo "error: $tool not found; set SWAN_SHARED_DIR to the shared folder" >&2; exit 1; }
[ -d "$swan_repo/smartquant" ] || { echo "error: $swan_repo is not a swan-quantization checkout (no smartquant/)" >&2; exit 1; }
"$python" -c 'import torch' 2>/dev/null || { echo "error: $python cannot import torch; apt-get install python3-torch" >&2; exit 1; }
mkdir -p "$out"

# Runs a command under GNU time; appends "label cpu_s wall_s rss_mib" to $out/times.tsv.
measure() {
  local label=$1; shift
  /usr/bin/time -f "%U %S %e %M" -o "$out/$label.time" "$@" > "$out/$label.log" 2>&1
  read -r user sys wall rss < "$out/$label.time"
  awk -v l="$label" -v u="$user" -v s="$sys" -v w="$wall" -v r="$rss" \
    'BEGIN { printf "%s\t%.2f\t%.2f\t%.0f\n", l, u + s, w, r / 1024 }' >> "$out/times.tsv"
}

: > "$out/times.tsv"
for i in $(seq 1 "$runs"); do
  measure "reference$i" "$python" "$tool" --swan-repo "$swan_repo" --input-dir "$model" --output "$out/reference$i.json"
  measure "swan$i" "$build/swan" analyze "$model" -o "$out/swan$i.json" -q --seed "$i" "${swan_args[@]}"
done

{
  echo "model: $model; swan analyze ${swan_args[*]:-(defaults)}; $runs alternating runs each"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
  "$python" - "$out" "$runs" <<'EOF'
import json, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
rows = [l.split("\t") for l in open(f"{out}/times.tsv").read().split("\n") if l]
t = {r[0]: (float(r[1]), float(r[2]), float(r[3])) for r in rows}
def med(kind, k): return statistics.median(t[f"{kind}{i}"][k] for i in range(1, runs + 1))
print("             CPU-s (median, all)          wall s (median)  peak RSS MiB (median)")
for kind in ("reference", "swan"):
    cpus = ", ".join(f"{t[f'{kind}{i}'][0]:.1f}" for i in range(1, runs + 1))
    print(f"{kind:10}  {med(kind, 0):8.2f} ({cpus})  {med(kind, 1):10.2f}  {med(kind, 2):10.0f}")
print(f"CPU-s ratio reference / swan (medians): {med('reference', 0) / med('swan', 0):.1f}x")

def decisions(path):
    m = json.load(open(path))
    d = {}
    for shard in m["shards"].values():
        for name, e in shard["tensors"].items():
            d[name] = (e["decision"]["bits"], e.get("scores"), e.get("composite_score"), e["classification"])
    return d
ref = [decisions(f"{out}/reference{i}.json") for i in range(1, runs + 1)]
ours = [decisions(f"{out}/swan{i}.json") for i in range(1, runs + 1)]
# Scored tensors: the ones the reference analysed and did not decide by name or shape.
scored = [n for n, e in ref[0].items() if e[3] != "protected" and "cross_layer" not in e[1]]
print(f"{len(ref[0])} tensors, of which {len(scored)} scored (not 1-D, tiny or name-protected); all tensors:")
for i, o in enumerate(ours):
    print(f"swan{i+1:<7} " + "  ".join(f"{sum(1 for n in r if o[n][0] == r[n][0])}/{len(r)}" for r in ref))
print(f"decision agreement on the {len(scored)} scored tensors:")
print("            " + "  ".join(f"reference{j+1:<2}" for j in range(runs)))
for i, o in enumerate(ours):
    cells = []
    for r in ref:
        same = sum(1 for n in scored if o[n][0] == r[n][0])
        cells.append(f"{same}/{len(scored)} {100.0 * same / len(scored):5.1f}%")
    print(f"swan{i+1:<7} " + "  ".join(cells))
same_ref = [sum(1 for n in scored if ref[a][n][0] == ref[b][n][0]) for a in range(runs) for b in range(a + 1, runs)]
print("reference against itself: " + ", ".join(f"{s}/{len(scored)}" for s in same_ref))
print("tensors whose decision differs in any pair (name: swan bits/composite | reference bits/composite, svd scores):")
for n in scored:
    ob = {o[n][0] for o in ours}; rb = {r[n][0] for r in ref}
    if len(ob | rb) > 1:
        oc = "/".join(f"{o[n][0]}:{o[n][2]:.4f}" for o in ours)
        rc = "/".join(f"{r[n][0]}:{r[n][2]:.4f}" for r in ref)
        os_ = "/".join(f"{o[n][1]['svd']:.4f}" for o in ours); rs = "/".join(f"{r[n][1]['svd']:.4f}" for r in ref)
        print(f"  {n}: swan {oc} | reference {rc}; svd swan {os_} reference {rs}")
EOF
} | tee "$out/report.txt"
echo "results in $out"
