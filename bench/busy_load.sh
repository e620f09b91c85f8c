# Sourced by the benchmarks that measure on a loaded machine: start_busy starts one CPU-bound
# busy loop per core, stop_busy kills them (call it from the script's EXIT trap too).
busy_pids=()
start_busy() {
  for _ in $(seq "$(nproc)"); do
    bash -c 'while :; do :; done' &
    busy_pids+=($!)
  done
  sleep 1
}
stop_busy() {
  for pid in "${busy_pids[@]}"; do kill "$pid" 2> /dev/null || true; done
  for pid in "${busy_pids[@]}"; do wait "$pid" 2> /dev/null || true; done
  busy_pids=()
}
