// Progress line on stderr for long work: done/total, rate and ETA. Silent when stderr
// is not a terminal (logs and CI stay clean) or when the caller asks for quiet. Updates
// are throttled so reporting never costs measurable time on a hot loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace swan {

class Progress {
 public:
  // `unit` names what `total` counts ("tensors", "tokens"); `bytes_total` (optional)
  // adds a GB/s rate.
  Progress(std::string label, std::uint64_t total, std::string unit, bool enabled, std::uint64_t bytes_total = 0);
  ~Progress();  // finishes the line if still open

  // Thread-safe; `bytes_done` is cumulative like `done`.
  void update(std::uint64_t done, std::uint64_t bytes_done = 0);
  void finish();

  // True when stderr is an interactive terminal.
  static bool stderr_is_terminal();

 private:
  void draw(std::uint64_t done, std::uint64_t bytes_done, bool final);

  std::string label_;
  std::uint64_t total_;
  std::string unit_;
  bool enabled_;
  std::uint64_t bytes_total_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  bool open_ = false;
  std::mutex mutex_;
};

// "1.23 GB", "512 KB": decimal units, as disk sizes are usually quoted.
std::string format_bytes(std::uint64_t bytes);
// "1m05s", "2h03m", "12.3s".
std::string format_duration(double seconds);

}  // namespace swan
