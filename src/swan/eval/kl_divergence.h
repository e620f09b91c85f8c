// KL-divergence of a model's next-token distribution from a base model's, token by token,
// and the statistics `swan eval kld` reports. Streaming: per scored token only a few scalars
// are kept (its KLD and NLLs, for the percentiles and paired comparisons), never a
// vocabulary-sized row.
//
//   KLD(base ‖ model) = Σ_v p_base(v) · (log p_base(v) - log p_model(v))     (nats)
//
// summed over the whole vocabulary in float64 from float32 log-probabilities (llama.cpp skips
// base log-probs below -16 and reads them from a 16-bit quantized file; swan keeps every term,
// so tiny divergences are not rounded away).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "swan/eval/statistics.h"
#include "swan/eval/token_scores.h"

namespace swan::eval {

// What one scored position contributes.
struct TokenComparison {
  double kld = 0.0;
  double nll_base = 0.0;   // -log p_base(target)
  double nll_model = 0.0;  // -log p_model(target)
  bool same_top = false;   // argmax of both distributions agree (first index on ties)
};

// Both rows are log-softmax outputs over the same vocabulary.
TokenComparison compare_token(std::span<const float> base_log_probs, std::span<const float> model_log_probs,
                              std::int32_t target);

struct KldSummary {
  std::size_t tokens_scored = 0;
  // Perplexities of both models on the same scored tokens.
  double ppl_base = 0.0, ppl_base_stderr = 0.0;
  double ppl_model = 0.0, ppl_model_stderr = 0.0;
  // ln(PPL_model / PPL_base) = mean(nll_model - nll_base), with the paired standard error
  // sqrt(se_model² + se_base² - 2 cov): the two NLLs are strongly correlated, so this is far
  // smaller than treating the two perplexities as independent.
  double ln_ppl_ratio = 0.0, ln_ppl_ratio_stderr = 0.0;
  // KLD per token, nats.
  double kld_mean = 0.0, kld_stderr = 0.0;
  double kld_median = 0.0, kld_p90 = 0.0, kld_p95 = 0.0, kld_p99 = 0.0, kld_p999 = 0.0, kld_max = 0.0;
  // Percentage of scored tokens whose most likely next token is the same for both models.
  double top1_agreement = 0.0, top1_agreement_stderr = 0.0;
};

class KldAccumulator {
 public:
  void add(const TokenComparison& token);
  std::size_t count() const { return kld_.count; }
  // Throws swan::Error when nothing was added.
  KldSummary summary() const;
  // Every token added, in order (for --save-scores and paired comparisons).
  std::span<const TokenScore> token_scores() const { return tokens_; }

 private:
  RunningSums kld_;
  RunningSums nll_base_;
  RunningSums nll_model_;
  double sum_nll_products_ = 0.0;  // Σ nll_model · nll_base, for the covariance
  std::size_t same_top_ = 0;
  std::vector<TokenScore> tokens_;  // for median, tail percentiles and pairing
};

}  // namespace swan::eval
