#include "swan/eval/log_softmax.h"

#include <cmath>

#include "swan/core/error.h"

namespace swan::eval {

double log_sum_exp(std::span<const float> logits) {
  if (logits.empty()) fail("log-softmax of an empty logit row (vocabulary size 0?)");
  float max_logit = logits[0];
  for (float v : logits) max_logit = v > max_logit ? v : max_logit;
  // A NaN never wins the comparison above, so it is caught by the sum below instead.
  if (std::isinf(max_logit) && max_logit > 0) {
    fail("logit row contains +inf: the forward pass overflowed (check the model weights)");
  }
  if (std::isinf(max_logit)) fail("logit row is all -inf: no token has non-zero probability");
  const double max = max_logit;
  double sum = 0.0;
  for (float v : logits) sum += std::exp(static_cast<double>(v) - max);
  if (!std::isfinite(sum)) fail("logit row contains NaN: the forward pass is broken (check the model weights)");
  return max + std::log(sum);
}

void log_softmax(std::span<const float> logits, std::span<float> out) {
  SWAN_CHECK(out.size() == logits.size(), "log_softmax output has {} entries for {} logits", out.size(),
             logits.size());
  const double lse = log_sum_exp(logits);
  for (std::size_t i = 0; i < logits.size(); ++i) out[i] = static_cast<float>(static_cast<double>(logits[i]) - lse);
}

double negative_log_likelihood(std::span<const float> logits, std::int32_t target) {
  if (target < 0 || static_cast<std::size_t>(target) >= logits.size()) {
    fail("target token id {} is outside the model's vocabulary of {} (tokenizer and model do not match)", target,
         logits.size());
  }
  return log_sum_exp(logits) - static_cast<double>(logits[static_cast<std::size_t>(target)]);
}

std::size_t argmax(std::span<const float> values) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < values.size(); ++i) {
    if (values[i] > values[best]) best = i;
  }
  return best;
}

}  // namespace swan::eval
