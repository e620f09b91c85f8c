#include "swan/core/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace swan {

Progress::Progress(std::string label, std::uint64_t total, std::string unit, bool enabled, std::uint64_t bytes_total)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      enabled_(enabled && stderr_is_terminal()),
      bytes_total_(bytes_total),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_ - std::chrono::seconds(1)) {}

Progress::~Progress() {
  if (open_) std::fputc('\n', stderr);
}

bool Progress::stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

void Progress::update(std::uint64_t done, std::uint64_t bytes_done) {
  if (!enabled_) return;
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100) && done < total_) return;
  last_draw_ = now;
  draw(done, bytes_done, false);
}

void Progress::finish() {
  if (!enabled_) return;
  std::lock_guard lock(mutex_);
  if (open_) {
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    open_ = false;
  }
}

void Progress::draw(std::uint64_t done, std::uint64_t bytes_done, bool /*final*/) {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string line = fmt::format("{} {}/{} {}", label_, done, total_, unit_);
  if (total_ > 0) line += fmt::format(" ({:.0f}%)", 100.0 * static_cast<double>(done) / static_cast<double>(total_));
  if (elapsed > 0.2 && done > 0) {
    if (bytes_total_ > 0) {
      line += fmt::format(", {:.2f} GB/s", static_cast<double>(bytes_done) / 1e9 / elapsed);
    } else {
      line += fmt::format(", {:.1f} {}/s", static_cast<double>(done) / elapsed, unit_);
    }
    const double fraction = bytes_total_ > 0 ? static_cast<double>(bytes_done) / static_cast<double>(bytes_total_)
                                             : static_cast<double>(done) / static_cast<double>(total_);
    if (fraction > 0 && fraction < 1) line += fmt::format(", ETA {}", format_duration(elapsed * (1 - fraction) / fraction));
  }
  fmt::print(stderr, "\r\033[K{}", line);
  std::fflush(stderr);
  open_ = true;
}

std::string format_bytes(std::uint64_t bytes) {
  const double value = static_cast<double>(bytes);
  if (value >= 1e9) return fmt::format("{:.2f} GB", value / 1e9);
  if (value >= 1e6) return fmt::format("{:.2f} MB", value / 1e6);
  if (value >= 1e3) return fmt::format("{:.1f} KB", value / 1e3);
  return fmt::format("{} B", bytes);
}

std::string format_duration(double seconds) {
  if (seconds < 60) return fmt::format("{:.1f}s", seconds);
  const auto total = static_cast<long>(seconds + 0.5);
  if (total < 3600) return fmt::format("{}m{:02}s", total / 60, total % 60);
  return fmt::format("{}h{:02}m", total / 3600, (total % 3600) / 60);
}

}  // namespace swan
