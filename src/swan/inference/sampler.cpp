// Greedy and temperature / top-p sampling.
#include "swan/inference/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "swan/core/error.h"

namespace swan::inference {

Sampler::Sampler(SamplerSettings settings) : settings_(settings), random_(settings.seed) {
  if (!(settings.temperature >= 0.0) || !std::isfinite(settings.temperature))
    fail("temperature {} is invalid: give 0 (greedy) or a positive number", settings.temperature);
  if (!(settings.top_p > 0.0 && settings.top_p <= 1.0))
    fail("top-p {} is outside (0, 1]: give e.g. 0.9, or 1 to keep every token", settings.top_p);
}

std::int32_t Sampler::next(std::span<const float> logits) {
  SWAN_CHECK(!logits.empty(), "Sampler::next: no logits");
  const auto best = std::max_element(logits.begin(), logits.end());
  if (settings_.temperature == 0.0) return static_cast<std::int32_t>(best - logits.begin());
  std::vector<double> probabilities(logits.size());
  double sum = 0.0;
  for (std::size_t i = 0; i < logits.size(); ++i)
    sum += probabilities[i] = std::exp((double(logits[i]) - double(*best)) / settings_.temperature);
  std::vector<std::int32_t> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  std::size_t kept = order.size();
  if (settings_.top_p < 1.0) {
    std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return probabilities[a] > probabilities[b]; });
    double cumulative = 0.0;
    for (kept = 0; kept < order.size() && cumulative < settings_.top_p * sum;) cumulative += probabilities[order[kept++]];
  }
  double total = 0.0;
  for (std::size_t i = 0; i < kept; ++i) total += probabilities[order[i]];
  double point = std::uniform_real_distribution<double>(0.0, total)(random_);
  for (std::size_t i = 0; i < kept; ++i) {
    point -= probabilities[order[i]];
    if (point < 0.0) return order[i];
  }
  return order[kept - 1];
}

}  // namespace swan::inference
