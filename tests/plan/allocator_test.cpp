// The multiple-choice knapsack allocator against exhaustive search on small random
// instances, its LP lower bound, hand-worked cases and its invariants.
#include "swan/plan/allocator.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>

#include "swan/core/error.h"

namespace swan::plan {
namespace {

struct Exhaustive {
  double cost = std::numeric_limits<double>::infinity();
  bool feasible = false;
};

Exhaustive brute_force(const std::vector<KnapsackItem>& items, std::uint64_t budget) {
  Exhaustive best;
  std::vector<std::size_t> choice(items.size(), 0);
  for (;;) {
    std::uint64_t bytes = 0;
    double cost = 0.0;
    for (std::size_t i = 0; i < items.size(); ++i) {
      bytes += items[i].options[choice[i]].bytes;
      cost += items[i].options[choice[i]].cost;
    }
    if (bytes <= budget && cost < best.cost) best = {cost, true};
    std::size_t i = 0;
    while (i < items.size() && ++choice[i] == items[i].options.size()) choice[i++] = 0;
    if (i == items.size()) break;
  }
  return best;
}

// Options shaped like error curves: more bytes, (mostly) less error, with some noise so
// that non-convex and dominated options occur.
std::vector<KnapsackItem> random_items(std::mt19937_64& rng, std::size_t n, std::size_t options) {
  std::uniform_int_distribution<std::uint64_t> step(1, 40);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<KnapsackItem> items(n);
  for (auto& item : items) {
    std::uint64_t bytes = step(rng);
    double cost = 1.0 + 10.0 * unit(rng);
    for (std::size_t j = 0; j < options; ++j) {
      item.options.push_back({bytes, cost});
      bytes += step(rng);
      cost *= 0.2 + 0.9 * unit(rng);  // sometimes rises: a dominated option
    }
  }
  return items;
}

void check_choice(const std::vector<KnapsackItem>& items, const Allocation& a, std::uint64_t budget) {
  ASSERT_EQ(a.choice.size(), items.size());
  std::uint64_t bytes = 0;
  double cost = 0.0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    ASSERT_LT(a.choice[i], items[i].options.size());
    bytes += items[i].options[a.choice[i]].bytes;
    cost += items[i].options[a.choice[i]].cost;
  }
  EXPECT_EQ(bytes, a.bytes);
  EXPECT_NEAR(cost, a.cost, 1e-9 * (1.0 + cost));
  EXPECT_LE(a.bytes, budget);
}

TEST(Allocator, MatchesExhaustiveSearchOnSmallInstances) {
  std::mt19937_64 rng(1234);
  int optimal = 0, instances = 0;
  double worst_gap = 0.0;
  for (int trial = 0; trial < 400; ++trial) {
    const std::size_t n = 1 + trial % 6;
    const auto items = random_items(rng, n, 1 + trial % 5);
    const std::uint64_t floor = minimum_bytes(items);
    std::uint64_t ceiling = 0;
    for (const auto& item : items) {
      std::uint64_t most = 0;
      for (const auto& o : item.options) most = std::max(most, o.bytes);
      ceiling += most;
    }
    const std::uint64_t budget = floor + (ceiling - floor) * static_cast<std::uint64_t>(trial % 7) / 6;
    const auto exact = brute_force(items, budget);
    const auto got = allocate(items, budget);
    ASSERT_TRUE(exact.feasible);
    ASSERT_TRUE(got.has_value());
    check_choice(items, *got, budget);
    EXPECT_GE(got->cost, exact.cost - 1e-9);              // nothing beats the optimum
    EXPECT_LE(got->lower_bound, exact.cost + 1e-9);       // the bound is a bound
    ++instances;
    if (got->cost <= exact.cost + 1e-9) ++optimal;
    worst_gap = std::max(worst_gap, (got->cost - exact.cost) / exact.cost);
  }
  // Near-exact: optimal on the vast majority, and never far off when not.
  EXPECT_GE(optimal, instances * 9 / 10) << "optimal on " << optimal << " of " << instances;
  EXPECT_LT(worst_gap, 0.25);
}

TEST(Allocator, OptimalWhenTheGreedyStopsOnTheBudget) {
  // Two items; the budget is exactly the sum after the two most efficient upgrades.
  std::vector<KnapsackItem> items(2);
  items[0].options = {{10, 100.0}, {20, 40.0}, {40, 30.0}};  // saves 6/byte, then 0.5/byte
  items[1].options = {{10, 50.0}, {30, 10.0}, {50, 5.0}};    // saves 2/byte, then 0.25/byte
  const auto a = allocate(items, 50);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->choice, (std::vector<std::size_t>{1, 1}));
  EXPECT_EQ(a->bytes, 50u);
  EXPECT_DOUBLE_EQ(a->cost, 50.0);
  EXPECT_DOUBLE_EQ(a->lower_bound, 50.0);
}

TEST(Allocator, SkipsDominatedAndNonConvexOptions) {
  std::vector<KnapsackItem> items(1);
  // Option 1 costs more bytes and more error than option 0: never chosen. Option 2 lies above
  // the chord from 0 to 3, so the greedy walks 0 -> 3 directly when the budget allows.
  items[0].options = {{10, 10.0}, {12, 11.0}, {20, 8.0}, {30, 1.0}};
  EXPECT_EQ(allocate(items, 11)->choice[0], 0u);
  EXPECT_EQ(allocate(items, 30)->choice[0], 3u);
  EXPECT_EQ(allocate(items, 25)->choice[0], 2u);  // repair: the non-hull option fits and helps
}

TEST(Allocator, InfeasibleBudgetAndBadItems) {
  std::vector<KnapsackItem> items(2);
  items[0].options = {{10, 1.0}};
  items[1].options = {{7, 1.0}, {5, 3.0}};
  EXPECT_EQ(minimum_bytes(items), 15u);
  EXPECT_FALSE(allocate(items, 14).has_value());
  EXPECT_TRUE(allocate(items, 15).has_value());
  std::vector<KnapsackItem> empty(1);
  EXPECT_THROW(allocate(empty, 100), Error);
  std::vector<KnapsackItem> negative(1);
  negative[0].options = {{1, -1.0}};
  EXPECT_THROW(allocate(negative, 100), Error);
  negative[0].options = {{1, std::numeric_limits<double>::quiet_NaN()}};
  EXPECT_THROW(allocate(negative, 100), Error);
}

TEST(Allocator, DeterministicAndFastOnTwentyThousandItems) {
  std::mt19937_64 rng(7);
  const auto items = random_items(rng, 20000, 19);
  const std::uint64_t budget = minimum_bytes(items) + 20000 * 60;
  const auto a = allocate(items, budget);
  const auto b = allocate(items, budget);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->choice, b->choice);
  check_choice(items, *a, budget);
  EXPECT_GE(a->cost, a->lower_bound - 1e-9);
}

}  // namespace
}  // namespace swan::plan
