#include "swan/eval/kl_divergence.h"

#include <algorithm>
#include <cmath>

#include "swan/core/error.h"
#include "swan/eval/log_softmax.h"
#include "swan/inference/vector_math.h"

namespace swan::eval {
namespace {

// exp(-708) ≈ 3e-308, the smallest input of the vector exp: base probabilities below it are
// treated as 0 (their terms are below 1e-305 nats unless the model gives the token -inf).
constexpr double kNegligibleLogProbability = -708.0;

}  // namespace

TokenComparison compare_token(std::span<const float> base_log_probs, std::span<const float> model_log_probs,
                              std::int32_t target) {
  SWAN_CHECK(base_log_probs.size() == model_log_probs.size(), "base row has {} entries, model row {}",
             base_log_probs.size(), model_log_probs.size());
  if (target < 0 || static_cast<std::size_t>(target) >= base_log_probs.size()) {
    fail("target token id {} is outside the vocabulary of {} (tokenizer and model do not match)", target,
         base_log_probs.size());
  }
  TokenComparison result;
  // One vectorised pass: p = exp(log p) by the float64 vector exp, terms summed in float64.
  const float* base = base_log_probs.data();
  const float* model = model_log_probs.data();
  double kld = 0.0;
#pragma omp simd reduction(+ : kld)
  for (std::size_t v = 0; v < base_log_probs.size(); ++v) {
    const double log_p = base[v];
    const double term = inference::fast_exp(log_p) * (log_p - static_cast<double>(model[v]));
    // p below exp(-708) (and p == 0, log p = -inf) contributes nothing, even where the model
    // also says -inf (avoids 0 · inf).
    kld += log_p > kNegligibleLogProbability ? term : 0.0;
  }
  result.kld = kld;
  const auto t = static_cast<std::size_t>(target);
  result.nll_base = -static_cast<double>(base_log_probs[t]);
  result.nll_model = -static_cast<double>(model_log_probs[t]);
  result.same_top = argmax(base_log_probs) == argmax(model_log_probs);
  return result;
}

void KldAccumulator::add(const TokenComparison& token) {
  kld_.add(token.kld);
  nll_base_.add(token.nll_base);
  nll_model_.add(token.nll_model);
  sum_nll_products_ += token.nll_model * token.nll_base;
  same_top_ += token.same_top ? 1 : 0;
  tokens_.push_back({token.kld, token.nll_base, token.nll_model});
}

KldSummary KldAccumulator::summary() const {
  if (kld_.count == 0) fail("no token was scored, so there is no KL-divergence to report");
  KldSummary s;
  s.tokens_scored = kld_.count;

  s.ppl_base = std::exp(nll_base_.mean());
  s.ppl_base_stderr = s.ppl_base * nll_base_.standard_error();
  s.ppl_model = std::exp(nll_model_.mean());
  s.ppl_model_stderr = s.ppl_model * nll_model_.standard_error();

  s.ln_ppl_ratio = nll_model_.mean() - nll_base_.mean();
  const double covariance = covariance_of_means(nll_model_.sum, nll_base_.sum, sum_nll_products_, kld_.count);
  s.ln_ppl_ratio_stderr =
      paired_difference_standard_error(nll_model_.variance_of_mean(), nll_base_.variance_of_mean(), covariance);

  s.kld_mean = kld_.mean();
  s.kld_stderr = kld_.standard_error();
  std::vector<double> sorted(tokens_.size());
  std::transform(tokens_.begin(), tokens_.end(), sorted.begin(), [](const TokenScore& t) { return t.kld; });
  std::sort(sorted.begin(), sorted.end());
  s.kld_median = median(sorted);
  s.kld_p90 = percentile(sorted, 0.90);
  s.kld_p95 = percentile(sorted, 0.95);
  s.kld_p99 = percentile(sorted, 0.99);
  s.kld_p999 = percentile(sorted, 0.999);
  s.kld_max = sorted.back();

  const double agreement = static_cast<double>(same_top_) / static_cast<double>(kld_.count);
  s.top1_agreement = 100.0 * agreement;
  s.top1_agreement_stderr = 100.0 * proportion_standard_error(agreement, kld_.count);
  return s;
}

}  // namespace swan::eval
