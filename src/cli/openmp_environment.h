// How swan's OpenMP worker threads wait between parallel regions.
//
// libgomp's default is to spin for a while before sleeping. On a machine where other
// processes compete for the cores, a spinning worker burns the time slice the thread it
// waits for needs, and a full `swan eval` pass at 2 threads ran 4.5x slower than at 1.
// Passive waiting (sleep at once) costs little on an idle machine and removes that.
#pragma once

namespace swan::cli {

// Unless the user chose a policy (OMP_WAIT_POLICY or GOMP_SPINCOUNT set), sets
// OMP_WAIT_POLICY=passive and re-executes this program once with it: libgomp reads the
// variable when it is loaded, before main(), so setting it later would have no effect.
// Returns normally only if the policy was already chosen or the re-exec failed (then the
// runtime's default stays).
void wait_passively_unless_configured(char** argv);

}  // namespace swan::cli
