// The format-neutral half of byte-budget planning, shared by the MLX and GGUF outputs:
// what a budget is, how tensors are weighed (role priors), the rules no budget overrides,
// and the choice of one priced option per tensor by the knapsack allocator (allocator.h).
//
// Each tensor offers options priced in the output format's real bytes and measured
// relative error ||W - Q(W)||² / ||W||² (an MLX affine bits x group size, a ggml type, ...);
// the choice minimises Σ_t weight_t · relative_error_t(option_t) subject to Σ_t bytes ≤ budget.
// What an option *is* stays with the caller (budget_plan.h for MLX, gguf/budget.h for GGUF),
// which maps the chosen indices back to its own decisions.
//
// Rules that no budget overrides:
//   * no quantized option below the SQNR floor when another quantized option clears it.
//     Default 6 dB: min/max 2-bit g32 on Gaussian-like weights measures about 8 dB (MINT's
//     9 dB floor assumes its better 2-bit scales), so 6 dB vetoes only 2-bit options ruined
//     by outliers;
//   * MoE routers at >= 8 bits or float.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "swan/model/tensor_role.h"

namespace swan::plan {

// A budget as the user gives it: bits per weight or total bytes. What the bytes count is the
// output format's definition (mlx/budget.h, gguf/budget.h).
struct Budget {
  std::optional<double> bits_per_weight;
  std::optional<std::uint64_t> total_bytes;
};

// Total bytes the output may have: the size itself, or floor(bits_per_weight x params / 8).
// Throws swan::Error for a non-positive or non-finite bits per weight.
std::uint64_t budget_bytes(const Budget& budget, std::uint64_t total_params);

// "4.5 bits/weight" or "3252224 bytes", as plans and reports record the budget.
std::string describe(const Budget& budget);

// "5.5GB", "5.5GiB", "3.2MB", "800k", "123456789": decimal (k, M, G, T with B or not) or binary
// (KiB, MiB, GiB, TiB) units. Throws swan::Error on anything else.
std::uint64_t parse_size(std::string_view text);

// The documented prior of a role, per unit of relative error. `serves_output`: a tied
// embedding (it is also the output head).
double role_prior(model::TensorRole role, bool serves_output);

struct BudgetRules {
  double sqnr_floor_db = 6.0;
  int router_min_bits = 8;
};

// One way to store a tensor.
struct OptionPrice {
  std::uint64_t bytes = 0;
  double relative_error = 0.0;  // 0 for an exact float copy
  bool quantized = false;       // false: a float option (never vetoed by the rules)
  int bits = 16;                // nominal bits of a quantized option, for the router rule
};

struct PricedTensor {
  std::string name;  // for messages
  model::TensorRole role = model::TensorRole::other;
  double weight = 1.0;
  std::vector<OptionPrice> options;  // at least one
};

struct BudgetChoice {
  std::vector<std::size_t> option;  // index into each tensor's options
  std::uint64_t bytes = 0;          // Σ bytes of the chosen options
  double objective = 0.0;           // Σ weight · relative_error of the choice
  double lower_bound = 0.0;         // no choice within the budget has a lower objective
  std::uint64_t minimum_bytes = 0;  // the smallest choice the rules allow
};

// The smallest bytes the tensors can take under the rules.
std::uint64_t minimum_budget(std::span<const PricedTensor> tensors, const BudgetRules& rules = {});

// `budget` is what these tensors may spend (the caller subtracts what no option decides).
// Throws swan::Error naming the minimum when the budget is below it.
BudgetChoice choose_for_budget(std::span<const PricedTensor> tensors, std::uint64_t budget,
                               const BudgetRules& rules = {});

}  // namespace swan::plan
