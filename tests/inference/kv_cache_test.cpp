// Incremental decoding with a KvCache against the cache-free full forward (which the golden
// tests tie to real references), on a dense and an MoE model; the bounded cache by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "support/fixtures.h"
#include "swan/inference/kv_cache.h"
#include "swan/inference/model.h"

namespace swan::inference {
namespace {

void expect_incremental_equals_full(const std::string& model_dir) {
  const Model model = Model::load(test::shared_path(model_dir));
  std::vector<std::int32_t> tokens;
  for (int i = 0; i < 24; ++i) tokens.push_back(static_cast<std::int32_t>((i * 37 + 11) % model.vocab_size()));
  const auto full = model.forward(tokens);
  KvCache cache = model.make_cache();
  std::vector<float> incremental = model.forward(std::span(tokens).first(10), &cache, nullptr);
  for (std::size_t t = 10; t < tokens.size(); ++t) {
    const auto step = model.forward(std::span(tokens).subspan(t, 1), &cache, nullptr);
    incremental.insert(incremental.end(), step.begin(), step.end());
  }
  EXPECT_EQ(cache.position(), tokens.size());
  EXPECT_EQ(cache.size(), tokens.size());
  ASSERT_EQ(incremental.size(), full.size());
  float worst = 0.0f;
  for (std::size_t i = 0; i < full.size(); ++i) worst = std::max(worst, std::abs(full[i] - incremental[i]));
  EXPECT_LT(worst, 1e-4f) << model_dir;
}

TEST(KvCache, IncrementalDecodeEqualsFullForwardDense) { expect_incremental_equals_full("models/qwen3-tiny-5.8m"); }
TEST(KvCache, IncrementalDecodeEqualsFullForwardMoe) { expect_incremental_equals_full("models/moe-tiny-mixtral"); }

TEST(KvCache, BoundedCacheKeepsTheFirstEntriesAndTheNewest) {
  KvCache cache(1, 1, /*max_entries=*/6, /*keep=*/2);
  auto push = [&](float value) {
    cache.make_room(1);
    cache.extend(1);
    cache.new_keys(0, 1)[0] = value;
    cache.new_values(0, 1)[0] = value;
    cache.advance(1);
  };
  for (int i = 0; i < 9; ++i) push(static_cast<float>(i));
  // Entries 0, 1 stay (attention sinks); of the rest the newest 4 remain: 5, 6, 7, 8.
  const auto keys = cache.keys(0);
  EXPECT_EQ(std::vector<float>(keys.begin(), keys.end()), (std::vector<float>{0, 1, 5, 6, 7, 8}));
  EXPECT_EQ(cache.position(), 9u);
}

TEST(KvCache, CachedAttentionOfOneQueryByHand) {
  // One head, head_dim 2, two cached entries plus the new one: scores q·k / sqrt(2).
  const AttentionShape shape{1, 1, 1, 2};
  const std::vector<float> q{1, 0}, keys{0, 0, 2, 0, 0, 1}, values{10, 0, 20, 0, 30, 6};
  std::vector<float> out(2);
  cached_attention(shape, q, keys, values, out);
  const double s1 = std::exp(2 / std::sqrt(2.0)), total = 1 + s1 + 1;
  EXPECT_NEAR(out[0], (10 + 20 * s1 + 30) / total, 1e-5);
  EXPECT_NEAR(out[1], 6 / total, 1e-5);
}

}  // namespace
}  // namespace swan::inference
