// Runs a program (the `swan` binary in end-to-end tests) and captures what it printed.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace swan::test {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

struct ProcessOptions {
  // Limit on the size of any file the child writes (RLIMIT_FSIZE): writes past it fail
  // like a full disk would (SIGXFSZ is ignored, so write() returns EFBIG).
  std::optional<long> max_file_bytes;
  // Kill the child with SIGKILL after this long (simulates an interrupted run).
  std::optional<std::chrono::milliseconds> kill_after;
};

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

}  // namespace swan::test
