// A read-only row-major float32 matrix view: the "analysis matrix" T that every SWAN
// metric is computed on (spec §2.2). Views never own memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace swan::analysis {

struct MatrixView {
  const float* data = nullptr;
  std::int64_t rows = 0;
  std::int64_t cols = 0;

  std::size_t size() const { return static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols); }
  std::span<const float> values() const { return {data, size()}; }
  const float* row(std::int64_t r) const { return data + static_cast<std::size_t>(r) * static_cast<std::size_t>(cols); }
};

}  // namespace swan::analysis
