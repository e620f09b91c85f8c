// What a budget plan decided, for people (a short table) and scripts (JSON): achieved size
// and bits per weight, the bits x group-size histogram by parameters, bytes and parameters
// by tensor role, and the predicted error (the planner's objective and its lower bound).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "swan/plan/budget_plan.h"

namespace swan::plan {

struct BudgetOutcome {
  const BudgetPlan* plan = nullptr;
  std::uint64_t budget_bytes = 0;  // what the whole output may have
  std::uint64_t output_bytes = 0;  // what it will have
  std::uint64_t total_params = 0;
};

nlohmann::ordered_json summary_json(const BudgetOutcome& outcome);
std::string format_summary(const BudgetOutcome& outcome);

}  // namespace swan::plan
