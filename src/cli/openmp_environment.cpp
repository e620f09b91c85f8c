#include "cli/openmp_environment.h"

#include <unistd.h>

#include <cstdlib>

namespace swan::cli {

void wait_passively_unless_configured(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) return;
  if (::setenv("OMP_WAIT_POLICY", "passive", 0) != 0) return;
  // Same process id, arguments and descriptors; the variable now set stops a second re-exec.
  ::execv("/proc/self/exe", argv);
}

}  // namespace swan::cli
