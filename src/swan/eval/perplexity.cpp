#include "swan/eval/perplexity.h"

#include <cmath>

namespace swan::eval {

PerplexityResult PerplexityAccumulator::result() const {
  PerplexityResult result;
  result.tokens_scored = nll_.count;
  result.mean_nll = nll_.mean();
  result.mean_nll_stderr = nll_.standard_error();
  result.ppl = std::exp(result.mean_nll);
  result.ppl_stderr = result.ppl * result.mean_nll_stderr;
  return result;
}

}  // namespace swan::eval
