// Sampler: greedy by hand, sampling frequencies against the softmax, top-p cut by hand.
#include "swan/inference/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "swan/core/error.h"

namespace swan::inference {
namespace {

TEST(Sampler, GreedyTakesTheFirstMaximum) {
  Sampler greedy({0.0, 1.0, 0});
  const std::vector<float> logits{0.5f, 2.0f, -1.0f, 2.0f};
  EXPECT_EQ(greedy.next(logits), 1);
}

TEST(Sampler, TemperatureSamplesTheSoftmax) {
  // logits ln 1, ln 2, ln 7 at temperature 1: probabilities 0.1, 0.2, 0.7.
  const std::vector<float> logits{0.0f, std::log(2.0f), std::log(7.0f)};
  Sampler sampler({1.0, 1.0, 42});
  std::vector<int> counts(3);
  const int draws = 20000;
  for (int i = 0; i < draws; ++i) ++counts[static_cast<std::size_t>(sampler.next(logits))];
  // 5 standard deviations of a binomial at 20000 draws: < 0.015.
  EXPECT_NEAR(counts[0] / double(draws), 0.1, 0.015);
  EXPECT_NEAR(counts[1] / double(draws), 0.2, 0.015);
  EXPECT_NEAR(counts[2] / double(draws), 0.7, 0.015);
}

TEST(Sampler, TopPKeepsTheSmallestSetReachingTheMass) {
  const std::vector<float> logits{0.0f, std::log(2.0f), std::log(7.0f)};
  Sampler only_top({1.0, 0.6, 1});  // 0.7 alone reaches 0.6
  for (int i = 0; i < 200; ++i) EXPECT_EQ(only_top.next(logits), 2);
  Sampler top_two({1.0, 0.85, 1});  // 0.7 + 0.2: token 0 never drawn
  int second = 0;
  for (int i = 0; i < 2000; ++i) {
    const auto token = top_two.next(logits);
    EXPECT_NE(token, 0);
    second += token == 1;
  }
  EXPECT_NEAR(second / 2000.0, 0.2 / 0.9, 0.05);
}

TEST(Sampler, RejectsBadSettings) {
  EXPECT_THROW(Sampler({-0.5, 1.0, 0}), Error);
  EXPECT_THROW(Sampler({1.0, 0.0, 0}), Error);
  EXPECT_THROW(Sampler({1.0, 1.5, 0}), Error);
}

}  // namespace
}  // namespace swan::inference
