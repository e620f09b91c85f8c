// The planner's frontier: the lowest predicted error (Σ weight · relative error, the
// planner's objective) it finds at each total size, from the smallest output its rules allow
// to every tensor at 8 bits, plus the point of one given allocation on the same axes, so a
// reader sees how far a plan is from the frontier and what more bytes would buy.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>

#include "swan/plan/budget_plan.h"
#include "swan/report/report_data.h"

namespace swan::report {

// `fixed_bytes`: what the output holds beyond the targets (norms, biases); `points` budgets
// evenly spaced over the range (duplicates where the planner cannot move are merged).
std::vector<FrontierPoint> planner_frontier(std::span<const plan::BudgetTarget> targets, std::uint64_t fixed_bytes,
                                            const plan::BudgetRules& rules = {}, std::size_t points = 48);

// Bytes and predicted error of an allocation (target name -> decision). nullopt when a target
// has no decision or its decision is not among its priced options.
std::optional<FrontierPoint> allocation_point(std::span<const plan::BudgetTarget> targets, std::uint64_t fixed_bytes,
                                              const std::map<std::string, plan::QuantDecision, std::less<>>& decisions);

}  // namespace swan::report
