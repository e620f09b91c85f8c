// moe_forward against a brute-force reference that runs every expert on every token and
// weights the outputs by hand-applied routing rules; on small random float32 weights, with
// and without top-k renormalisation and with Qwen2-MoE's gated shared expert.
#include "swan/inference/moe.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>

namespace swan::inference {
namespace {

constexpr std::size_t kHidden = 8, kInner = 6, kExperts = 5, kTokens = 7;

struct Storage {
  std::vector<std::vector<float>> matrices;
  WeightMatrix make(std::mt19937& random, std::size_t rows, std::size_t cols, float scale) {
    std::normal_distribution<float> normal(0.0f, scale);
    matrices.emplace_back(rows * cols);
    for (float& v : matrices.back()) v = normal(random);
    const auto bytes = std::as_bytes(std::span(matrices.back()));
    return WeightMatrix::dense("w", DType::F32, bytes, rows, cols);
  }
};

std::vector<float> dense(const WeightMatrix& m, std::span<const float> x) {  // y = W x, one token
  std::vector<float> row(m.rows() * m.cols()), y(m.rows());
  m.read_rows(0, m.rows(), row);
  for (std::size_t r = 0; r < m.rows(); ++r)
    for (std::size_t c = 0; c < m.cols(); ++c) y[r] += row[r * m.cols() + c] * x[c];
  return y;
}

std::vector<float> mlp(const ExpertWeights& e, std::span<const float> x) {
  auto g = dense(e.gate, x);
  const auto u = dense(e.up, x);
  for (std::size_t i = 0; i < g.size(); ++i) g[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
  return dense(e.down, g);
}

void expect_matches_brute_force(bool normalize, bool shared) {
  std::mt19937 random(normalize * 2 + shared + 1);
  Storage storage;
  MoeLayerWeights weights;
  weights.router = storage.make(random, kExperts, kHidden, 1.0f);
  for (std::size_t e = 0; e < kExperts; ++e)
    weights.experts.push_back({storage.make(random, kInner, kHidden, 0.5f), storage.make(random, kInner, kHidden, 0.5f),
                               storage.make(random, kHidden, kInner, 0.5f)});
  if (shared) {
    weights.shared_expert = ExpertWeights{storage.make(random, kInner, kHidden, 0.5f),
                                          storage.make(random, kInner, kHidden, 0.5f),
                                          storage.make(random, kHidden, kInner, 0.5f)};
    weights.shared_expert_gate = storage.make(random, 1, kHidden, 1.0f);
  }
  model::MixtureOfExperts moe;
  moe.num_experts = kExperts;
  moe.experts_per_token = 2;
  moe.normalize_top_k = normalize;
  std::vector<float> x(kTokens * kHidden), out(kTokens * kHidden);
  std::normal_distribution<float> normal;
  for (float& v : x) v = normal(random);
  LayerRouting routing;
  moe_forward(weights, moe, x, kTokens, out, &routing);

  for (std::size_t t = 0; t < kTokens; ++t) {
    const std::span<const float> xt(x.data() + t * kHidden, kHidden);
    const auto logits = dense(weights.router, xt);
    std::vector<double> p(kExperts);
    double sum = 0;
    for (std::size_t e = 0; e < kExperts; ++e) sum += p[e] = std::exp(double(logits[e]));
    for (auto& v : p) v /= sum;
    std::vector<int> order(kExperts);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int a, int b) { return p[a] > p[b]; });
    std::vector<int> picked{std::min(order[0], order[1]), std::max(order[0], order[1])};
    EXPECT_EQ(std::vector<int>(routing.experts.begin() + t * 2, routing.experts.begin() + t * 2 + 2), picked);
    const double norm = normalize ? p[picked[0]] + p[picked[1]] : 1.0;
    std::vector<double> expected(kHidden);
    for (int e : picked) {
      const auto y = mlp(weights.experts[e], xt);
      for (std::size_t j = 0; j < kHidden; ++j) expected[j] += p[e] / norm * y[j];
    }
    if (shared) {
      const auto y = mlp(*weights.shared_expert, xt);
      const double gate = 1.0 / (1.0 + std::exp(-double(dense(weights.shared_expert_gate, xt)[0])));
      for (std::size_t j = 0; j < kHidden; ++j) expected[j] += gate * y[j];
    }
    for (std::size_t j = 0; j < kHidden; ++j) EXPECT_NEAR(out[t * kHidden + j], expected[j], 1e-5) << t << "," << j;
    for (std::size_t e = 0; e < kExperts; ++e) EXPECT_NEAR(routing.router_logits[t * kExperts + e], logits[e], 1e-5);
  }
}

TEST(Moe, RenormalisedTopKMatchesBruteForce) { expect_matches_brute_force(true, false); }      // qwen3_moe, mixtral
TEST(Moe, UnnormalisedTopKMatchesBruteForce) { expect_matches_brute_force(false, false); }     // qwen2_moe default
TEST(Moe, GatedSharedExpertMatchesBruteForce) { expect_matches_brute_force(false, true); }     // qwen2_moe

}  // namespace
}  // namespace swan::inference
