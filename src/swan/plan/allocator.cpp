#include "swan/plan/allocator.h"

#include <algorithm>
#include <cmath>
#include <queue>

#include "swan/core/error.h"

namespace swan::plan {
namespace {

void check_items(std::span<const KnapsackItem> items) {
  for (std::size_t i = 0; i < items.size(); ++i) {
    SWAN_CHECK(!items[i].options.empty(), "allocation item {} has no options", i);
    for (const auto& o : items[i].options)
      SWAN_CHECK(std::isfinite(o.cost) && o.cost >= 0.0, "allocation item {} has an option of cost {}", i, o.cost);
  }
}

// Smallest option; among equal sizes the cheapest; then the lowest index.
std::size_t smallest_option(const KnapsackItem& item) {
  std::size_t best = 0;
  for (std::size_t j = 1; j < item.options.size(); ++j) {
    const auto& o = item.options[j];
    const auto& b = item.options[best];
    if (o.bytes < b.bytes || (o.bytes == b.bytes && o.cost < b.cost)) best = j;
  }
  return best;
}

// Indices of the lower convex hull of (bytes, cost), from the smallest option on, keeping
// only points that lower the cost.
std::vector<std::size_t> lower_hull(const KnapsackItem& item) {
  std::vector<std::size_t> order(item.options.size());
  for (std::size_t j = 0; j < order.size(); ++j) order[j] = j;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const auto& x = item.options[a];
    const auto& y = item.options[b];
    if (x.bytes != y.bytes) return x.bytes < y.bytes;
    return x.cost < y.cost;
  });
  std::vector<std::size_t> hull;
  for (const std::size_t j : order) {
    const auto& p = item.options[j];
    if (!hull.empty()) {
      const auto& last = item.options[hull.back()];
      if (p.bytes == last.bytes || p.cost >= last.cost) continue;  // dominated
    }
    // Pop while the last point lies on or above the segment from its predecessor to p.
    while (hull.size() >= 2) {
      const auto& a = item.options[hull[hull.size() - 2]];
      const auto& b = item.options[hull.back()];
      const double slope_ab = (a.cost - b.cost) / static_cast<double>(b.bytes - a.bytes);
      const double slope_ap = (a.cost - p.cost) / static_cast<double>(p.bytes - a.bytes);
      if (slope_ap >= slope_ab) hull.pop_back();
      else break;
    }
    hull.push_back(j);
  }
  return hull;
}

struct Step {
  double efficiency;  // cost saved per byte
  std::size_t item;
  std::size_t position;  // moving from hull[position] to hull[position + 1]
};

struct StepOrder {
  bool operator()(const Step& a, const Step& b) const {  // max-heap on efficiency, then lowest item
    if (a.efficiency != b.efficiency) return a.efficiency < b.efficiency;
    return a.item > b.item;
  }
};

}  // namespace

std::uint64_t minimum_bytes(std::span<const KnapsackItem> items) {
  check_items(items);
  std::uint64_t total = 0;
  for (const auto& item : items) total += item.options[smallest_option(item)].bytes;
  return total;
}

namespace {

// Phases 2 and 3 from every item's smallest hull point. With `stop_at_first_misfit`, phase 2
// ends at the first upgrade that does not fit (the LP prefix, which grows monotonically with
// the budget); otherwise it skips that item and goes on with the others.
Allocation greedy(std::span<const KnapsackItem> items, const std::vector<std::vector<std::size_t>>& hulls,
                  std::uint64_t budget, bool stop_at_first_misfit) {
  Allocation result;
  result.choice.resize(items.size());
  std::vector<std::size_t> position(items.size(), 0);
  std::priority_queue<Step, std::vector<Step>, StepOrder> steps;
  auto push_step = [&](std::size_t i) {
    const auto& hull = hulls[i];
    const std::size_t k = position[i];
    if (k + 1 >= hull.size()) return;
    const auto& from = items[i].options[hull[k]];
    const auto& to = items[i].options[hull[k + 1]];
    steps.push({(from.cost - to.cost) / static_cast<double>(to.bytes - from.bytes), i, k});
  };
  for (std::size_t i = 0; i < items.size(); ++i) {
    result.choice[i] = hulls[i].front();
    result.bytes += items[i].options[hulls[i].front()].bytes;
    result.cost += items[i].options[hulls[i].front()].cost;
    push_step(i);
  }

  bool bound_set = false;
  while (!steps.empty()) {
    const Step step = steps.top();
    steps.pop();
    const auto& from = items[step.item].options[hulls[step.item][step.position]];
    const auto& to = items[step.item].options[hulls[step.item][step.position + 1]];
    const std::uint64_t extra = to.bytes - from.bytes;
    if (result.bytes + extra > budget) {
      if (!bound_set) {
        // The LP optimum takes this step fractionally and stops.
        result.lower_bound = result.cost - step.efficiency * static_cast<double>(budget - result.bytes);
        bound_set = true;
      }
      if (stop_at_first_misfit) break;
      continue;  // this item is closed; others may still fit
    }
    result.bytes += extra;
    result.cost += to.cost - from.cost;
    position[step.item] = step.position + 1;
    result.choice[step.item] = hulls[step.item][position[step.item]];
    push_step(step.item);
  }
  if (!bound_set) result.lower_bound = result.cost;  // every item at its best hull point

  // Phase 3: best single-item improvement that fits, until none is left.
  for (;;) {
    double best_gain = 0.0;
    std::size_t best_item = 0, best_option = 0;
    for (std::size_t i = 0; i < items.size(); ++i) {
      const auto& current = items[i].options[result.choice[i]];
      for (std::size_t j = 0; j < items[i].options.size(); ++j) {
        const auto& o = items[i].options[j];
        const double gain = current.cost - o.cost;
        if (gain <= best_gain) continue;
        if (result.bytes - current.bytes + o.bytes > budget) continue;
        best_gain = gain;
        best_item = i;
        best_option = j;
      }
    }
    if (best_gain <= 0.0) break;
    const auto& current = items[best_item].options[result.choice[best_item]];
    const auto& o = items[best_item].options[best_option];
    result.bytes = result.bytes - current.bytes + o.bytes;
    result.choice[best_item] = best_option;
  }
  // The cost summed afresh (no drift from the running sums).
  double cost = 0.0;
  for (std::size_t i = 0; i < items.size(); ++i) cost += items[i].options[result.choice[i]].cost;
  result.cost = cost;
  result.lower_bound = std::min(result.lower_bound, cost);
  return result;
}

}  // namespace

std::optional<Allocation> allocate(std::span<const KnapsackItem> items, std::uint64_t budget) {
  if (minimum_bytes(items) > budget) return std::nullopt;
  std::vector<std::vector<std::size_t>> hulls(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) hulls[i] = lower_hull(items[i]);
  Allocation skipping = greedy(items, hulls, budget, false);
  Allocation prefix = greedy(items, hulls, budget, true);
  Allocation& best = prefix.cost < skipping.cost ? prefix : skipping;
  best.lower_bound = std::min(skipping.lower_bound, prefix.lower_bound);
  return std::move(best);
}

}  // namespace swan::plan
