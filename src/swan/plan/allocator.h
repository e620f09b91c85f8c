// The byte-budget allocator: a multiple-choice knapsack. Each item (a tensor) must take
// exactly one of its options (a precision), each with a size in bytes and a cost (predicted
// damage); the total size must stay within the budget and the total cost as low as possible.
//
// Method (deterministic, O(N log N) in the number of options):
//  1. per item, the options on the lower convex hull of cost against bytes (dominated and
//     non-convex options are dropped for this phase);
//  2. Lagrangian greedy: start every item at its smallest option, then take hull upgrades
//     in order of cost saved per extra byte while they fit. Two variants: one stops at the
//     first upgrade that does not fit (the LP prefix, monotone in the budget), the other
//     closes only that item (its later, less efficient steps wait behind it) and goes on;
//  3. repair, on both: while some single-item change to *any* of its options (hull or not)
//     lowers the total cost and fits the remaining bytes, apply the best such change.
//  The cheaper of the two results is returned.
// Phase 2 alone is optimal whenever it stops exactly on the budget (the LP relaxation's
// solution is then integral); in general the result is within one item's largest hull step
// of the optimum, and phase 3 narrows that further. Ties break by item, then option order.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace swan::plan {

struct KnapsackOption {
  std::uint64_t bytes = 0;
  double cost = 0.0;  // finite, >= 0
};

struct KnapsackItem {
  std::vector<KnapsackOption> options;  // at least one
};

struct Allocation {
  std::vector<std::size_t> choice;  // option index per item
  std::uint64_t bytes = 0;
  double cost = 0.0;
  double lower_bound = 0.0;  // LP-relaxation bound: no allocation within the budget costs less
};

// The smallest total size any allocation can have (every item at its smallest option).
std::uint64_t minimum_bytes(std::span<const KnapsackItem> items);

// nullopt when even the smallest options exceed the budget. Throws swan::Error on an item
// without options or a negative / non-finite cost.
std::optional<Allocation> allocate(std::span<const KnapsackItem> items, std::uint64_t budget);

}  // namespace swan::plan
