// Perplexity from per-token negative log-likelihoods, accumulated in constant memory.
//   PPL = exp(mean NLL),  PPL stderr = PPL · se(mean NLL)
// (first-order propagation through exp, as llama.cpp's "PPL = x +/- y").
#pragma once

#include <cstddef>

#include "swan/eval/statistics.h"

namespace swan::eval {

struct PerplexityResult {
  double ppl = 0.0;
  double ppl_stderr = 0.0;
  double mean_nll = 0.0;
  double mean_nll_stderr = 0.0;
  std::size_t tokens_scored = 0;
};

class PerplexityAccumulator {
 public:
  void add(double negative_log_likelihood) { nll_.add(negative_log_likelihood); }
  std::size_t count() const { return nll_.count; }
  PerplexityResult result() const;

 private:
  RunningSums nll_;
};

}  // namespace swan::eval
