// Mixture-of-experts block: routing, then each picked expert on the tokens that picked it.
#include "swan/inference/moe.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "swan/core/error.h"
#include "swan/inference/linear.h"
#include "swan/inference/swiglu.h"

namespace swan::inference {
namespace {

struct TokenRoute {
  std::vector<std::int32_t> experts;  // ascending ids
  std::vector<float> weights;         // same order
};

// Picks the top `k` experts of one token's router logits (see moe.h for the rule).
TokenRoute route_token(std::span<const float> logits, std::size_t k, bool normalize) {
  const float max_logit = *std::max_element(logits.begin(), logits.end());
  std::vector<double> probabilities(logits.size());
  double sum = 0.0;
  for (std::size_t e = 0; e < logits.size(); ++e) sum += probabilities[e] = std::exp(double(logits[e]) - max_logit);
  std::vector<std::int32_t> order(logits.size());
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                    [&](std::int32_t a, std::int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
  order.resize(k);
  std::sort(order.begin(), order.end());
  double picked = 0.0;
  for (auto e : order) picked += probabilities[e];
  TokenRoute route{order, {}};
  for (auto e : order)
    route.weights.push_back(static_cast<float>(probabilities[e] / (normalize ? picked : sum)));
  return route;
}

// out = down(silu(gate(x)) * up(x)) for the rows of x.
void expert_mlp(const ExpertWeights& expert, std::span<const float> x, std::size_t tokens, std::span<float> out) {
  const std::size_t inner = expert.gate.rows();
  std::vector<float> gate(tokens * inner), up(tokens * inner);
  linear(expert.gate, x, tokens, gate);
  linear(expert.up, x, tokens, up);
  swiglu_in_place(gate, up);
  linear(expert.down, gate, tokens, out);
}

}  // namespace

bool MoeLayerWeights::any_quantized() const {
  if (router.is_quantized()) return true;
  for (const auto& e : experts)
    if (e.gate.is_quantized() || e.up.is_quantized() || e.down.is_quantized()) return true;
  return shared_expert && (shared_expert->gate.is_quantized() || shared_expert->up.is_quantized() ||
                           shared_expert->down.is_quantized() || shared_expert_gate.is_quantized());
}

std::size_t MoeLayerWeights::stored_bytes() const {
  std::size_t total = router.stored_bytes();
  for (const auto& e : experts) total += e.gate.stored_bytes() + e.up.stored_bytes() + e.down.stored_bytes();
  if (shared_expert)
    total += shared_expert->gate.stored_bytes() + shared_expert->up.stored_bytes() +
             shared_expert->down.stored_bytes() + shared_expert_gate.stored_bytes();
  return total;
}

void moe_forward(const MoeLayerWeights& weights, const model::MixtureOfExperts& moe, std::span<const float> x,
                 std::size_t tokens, std::span<float> out, LayerRouting* routing) {
  const std::size_t hidden = weights.router.cols();
  const std::size_t experts = weights.experts.size();
  const auto k = static_cast<std::size_t>(moe.experts_per_token);
  SWAN_CHECK(x.size() == tokens * hidden && out.size() == tokens * hidden, "moe_forward: {} / {} values for {} x {}",
             x.size(), out.size(), tokens, hidden);
  SWAN_CHECK(weights.router.rows() == experts && k <= experts, "moe_forward: router of {} rows for {} experts, top-{}",
             weights.router.rows(), experts, k);
  std::vector<float> logits(tokens * experts);
  linear(weights.router, x, tokens, logits);

  // Tokens grouped by expert, so each expert runs once on its batch.
  std::vector<std::vector<std::size_t>> tokens_of(experts);
  std::vector<std::vector<float>> weights_of(experts);
  for (std::size_t t = 0; t < tokens; ++t) {
    const TokenRoute route = route_token(std::span(logits).subspan(t * experts, experts), k, moe.normalize_top_k);
    for (std::size_t i = 0; i < k; ++i) {
      tokens_of[static_cast<std::size_t>(route.experts[i])].push_back(t);
      weights_of[static_cast<std::size_t>(route.experts[i])].push_back(route.weights[i]);
    }
    if (routing) routing->experts.insert(routing->experts.end(), route.experts.begin(), route.experts.end());
  }
  if (routing) routing->router_logits.insert(routing->router_logits.end(), logits.begin(), logits.end());

  std::fill(out.begin(), out.end(), 0.0f);
  std::vector<float> batch, result;
  for (std::size_t e = 0; e < experts; ++e) {
    const auto& picked = tokens_of[e];
    if (picked.empty()) continue;
    batch.resize(picked.size() * hidden);
    result.resize(picked.size() * hidden);
    for (std::size_t i = 0; i < picked.size(); ++i)
      std::copy_n(x.begin() + static_cast<std::ptrdiff_t>(picked[i] * hidden), hidden, batch.begin() + static_cast<std::ptrdiff_t>(i * hidden));
    expert_mlp(weights.experts[e], batch, picked.size(), result);
    for (std::size_t i = 0; i < picked.size(); ++i) {
      float* row = out.data() + picked[i] * hidden;
      const float* add = result.data() + i * hidden;
      const float w = weights_of[e][i];
      for (std::size_t j = 0; j < hidden; ++j) row[j] += w * add[j];
    }
  }

  if (weights.shared_expert) {
    std::vector<float> shared(tokens * hidden), gate(tokens);
    expert_mlp(*weights.shared_expert, x, tokens, shared);
    linear(weights.shared_expert_gate, x, tokens, gate);
    for (std::size_t t = 0; t < tokens; ++t) {
      const float scale = 1.0f / (1.0f + std::exp(-gate[t]));
      for (std::size_t j = 0; j < hidden; ++j) out[t * hidden + j] += scale * shared[t * hidden + j];
    }
  }
}

}  // namespace swan::inference
