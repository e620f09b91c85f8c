// libFuzzer target: a token-score file (`swan eval kld --save-scores`, read by --paired) must
// turn any malformed input into swan::Error, never a crash or an unbounded allocation.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "swan/core/error.h"
#include "swan/eval/token_scores.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    const auto scores = swan::eval::parse_token_scores(bytes, "fuzz.scores");
    (void)swan::eval::compare_paired(scores.scores, scores.scores);
  } catch (const swan::Error&) {
  }
  return 0;
}
