#include "swan/eval/log_softmax.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "swan/core/error.h"
#include "swan/inference/vector_math.h"

namespace swan::eval {

double log_sum_exp(std::span<const float> logits) {
  if (logits.empty()) fail("log-softmax of an empty logit row (vocabulary size 0?)");
  // Two vectorised passes over the row (max, then the sum of exponentials in float64 with a
  // vectorised exp): raw pointers so that GCC vectorises them.
  const float* values = logits.data();
  const std::size_t n = logits.size();
  float max_logit = -std::numeric_limits<float>::infinity();
  int nan_count = 0;
#pragma omp simd reduction(max : max_logit) reduction(+ : nan_count)
  for (std::size_t i = 0; i < n; ++i) {
    max_logit = std::max(max_logit, values[i]);  // a NaN never wins the comparison: counted apart
    nan_count += values[i] != values[i] ? 1 : 0;
  }
  if (nan_count > 0) fail("logit row contains NaN: the forward pass is broken (check the model weights)");
  if (std::isinf(max_logit) && max_logit > 0) {
    fail("logit row contains +inf: the forward pass overflowed (check the model weights)");
  }
  if (std::isinf(max_logit)) fail("logit row is all -inf: no token has non-zero probability");
  const double max = max_logit;
  double sum = 0.0;
#pragma omp simd reduction(+ : sum)
  for (std::size_t i = 0; i < n; ++i) sum += inference::fast_exp(static_cast<double>(values[i]) - max);
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
  if (values.empty()) return 0;
  // The largest value (vectorised), then its first position.
  const float* v = values.data();
  float best = v[0];
#pragma omp simd reduction(max : best)
  for (std::size_t i = 0; i < values.size(); ++i) best = std::max(best, v[i]);
  return static_cast<std::size_t>(std::find(values.begin(), values.end(), best) - values.begin());
}

}  // namespace swan::eval
