#!/usr/bin/env bash
# Cost of `swan plan --sensitivity measured` against a baseline binary, side by side in one
# run: each model planned by both binaries, alternated RUNS times, CPU-s (user + sys) and
# wall under /usr/bin/time, medians and their ratio, and whether the two plans are the same
# (bytes, or only the decisions: a build that changes the numbers in the last digits may
# still decide every tensor alike). Also checks that this build's plan is the same at
# --threads 1 and at the default. Prints the CPU and the load average before and after.
#   bench/sensitivity_cost.sh SWAN SWAN_BEFORE [RUNS=3] [SHARED_DIR=../shared]
# Models: models/qwen3-tiny-5.8m at 4.5 bits/weight, stories260k at 10 bits/weight.
set -euo pipefail
swan=${1:?usage: bench/sensitivity_cost.sh SWAN SWAN_BEFORE [RUNS] [SHARED_DIR]}
before=${2:?usage: bench/sensitivity_cost.sh SWAN SWAN_BEFORE [RUNS] [SHARED_DIR]}
runs=${3:-3}
shared=${4:-../shared}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "load before: $(uptime | sed 's/.*load average: //')"
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
measure() {  # "wall_s cpu_s"
  local log
  log=$(mktemp)
  /usr/bin/time -f "%e %U %S" -o "$log" "$@" > /dev/null 2>&1
  awk '{printf "%s %.2f\n", $1, $2 + $3}' "$log"
  rm -f "$log"
}
same_decisions() {  # plan files A B -> "bytes" | "decisions" | "differ (N tensors)"
  python3 - "$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
if open(sys.argv[1], 'rb').read() == open(sys.argv[2], 'rb').read():
    print("identical bytes"); sys.exit()
da = {t["name"]: t["decision"] for t in a["tensors"]}
db = {t["name"]: t["decision"] for t in b["tensors"]}
differ = [n for n in da if da[n] != db.get(n)]
print("same decisions" if not differ and da.keys() == db.keys() else f"differ ({len(differ)} tensors)")
PY
}

for entry in "qwen3-tiny-5.8m|models/qwen3-tiny-5.8m|4.5" "stories260k|$shared/models/stories260k|10"; do
  IFS='|' read -r name model bpw <<< "$entry"
  now_cpu=() now_wall=() old_cpu=() old_wall=()
  for ((r = 1; r <= runs; ++r)); do
    read -r wall cpu < <(measure "$before" plan "$model" --target-bpw "$bpw" --sensitivity measured -o "$work/before.json")
    old_cpu+=("$cpu"); old_wall+=("$wall")
    read -r wall cpu < <(measure "$swan" plan "$model" --target-bpw "$bpw" --sensitivity measured -o "$work/now.json")
    now_cpu+=("$cpu"); now_wall+=("$wall")
  done
  "$swan" plan "$model" --target-bpw "$bpw" --sensitivity measured --threads 1 -o "$work/one.json" > /dev/null 2>&1
  oc=$(printf '%s\n' "${old_cpu[@]}" | median); nc=$(printf '%s\n' "${now_cpu[@]}" | median)
  ow=$(printf '%s\n' "${old_wall[@]}" | median); nw=$(printf '%s\n' "${now_wall[@]}" | median)
  printf '%-16s %s bpw: before %s CPU-s (%s s wall), now %s CPU-s (%s s wall) -> %s x CPU; plans: %s; now at 1 thread vs default: %s\n' \
    "$name" "$bpw" "$oc" "$ow" "$nc" "$nw" "$(awk -v a="$nc" -v b="$oc" 'BEGIN {printf "%.2f", a / b}')" \
    "$(same_decisions "$work/before.json" "$work/now.json")" "$(same_decisions "$work/one.json" "$work/now.json")"
done
echo "load after: $(uptime | sed 's/.*load average: //')"
