// Which rows of the logits a forward pass computes. Evaluation scores only the second half of
// each window and generation samples only from the last position; the output projection
// (vocab x hidden per row) and the last layer's MLP are skipped for the other rows.
#pragma once

#include <algorithm>
#include <cstddef>
#include <limits>

namespace swan::inference {

// Rows [begin, end) of the tokens given to the forward pass (row t predicts token t + 1);
// `end` is clipped to the token count, the default is every row.
struct LogitRows {
  std::size_t begin = 0;
  std::size_t end = std::numeric_limits<std::size_t>::max();

  std::size_t clipped_begin(std::size_t tokens) const { return std::min(begin, tokens); }
  std::size_t clipped_end(std::size_t tokens) const { return std::clamp(end, clipped_begin(tokens), tokens); }
};

}  // namespace swan::inference
