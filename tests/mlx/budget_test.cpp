// The budget planner (plan/) priced for MLX output (mlx/budget), on real error curves
// (qwen3-tiny, stories260k) and on hand-built targets: it never exceeds the budget, lands within 1 % under it, names the minimum when
// the budget is infeasible, honours the router and SQNR rules, spends more bytes for less
// predicted error, and is deterministic.
#include "swan/plan/budget_plan.h"

#include <gtest/gtest.h>

#include <cmath>

#include "support/fixtures.h"
#include "swan/analysis/analyzer.h"
#include "swan/core/error.h"
#include "swan/mlx/budget.h"
#include "swan/mlx/layout.h"
#include "swan/mlx/size_summary.h"

namespace swan::plan {
namespace {

analysis::Manifest curves_of(const ModelDirectory& model) {
  analysis::AnalysisOptions options;
  options.error_curves = true;
  options.swan_metrics = false;
  options.record_time = false;
  options.threads = 2;
  return analysis::analyze_model(model, "test", options);
}

struct Case {
  const char* name;
  std::filesystem::path dir;
};

std::vector<Case> models() {
  return {{"qwen3-tiny", test::source_dir() / "models/qwen3-tiny-5.8m"},
          {"stories260k", test::shared_path("models/stories260k")}};
}

TEST(BudgetPlan, StaysWithinOnePercentUnderEveryBudget) {
  for (const auto& c : models()) {
    SCOPED_TRACE(c.name);
    const ModelDirectory model(c.dir);
    const auto manifest = curves_of(model);
    const auto space = mlx::budget_space(model, std::nullopt);
    const double floor_bpw = 8.0 * static_cast<double>(minimum_budget(mlx::priced_targets(space, manifest)) +
                                                       space.fixed_bytes) / static_cast<double>(space.total_params);
    double previous_objective = std::numeric_limits<double>::infinity();
    // From the smallest allowed output (3.24 bits/weight on qwen3-tiny; 9.2 on stories260k,
    // whose float norms and 172-wide matrices weigh a lot) up, in steps of 0.05 bits/weight.
    for (double bpw = std::ceil(floor_bpw * 20.0) / 20.0; bpw <= floor_bpw + 5.0; bpw += 0.05) {
      SCOPED_TRACE(bpw);
      const auto planned = mlx::plan_mlx_budget(model, manifest, {bpw, std::nullopt}, std::nullopt);
      // What the writer will produce, from its own layout and size accounting.
      const auto layout = mlx::build_layout(model, planned.budget.plan, std::nullopt);
      const auto summary = mlx::summarize(layout, planned.budget.plan);
      EXPECT_EQ(summary.total_bytes, planned.output_bytes);
      EXPECT_LE(summary.bits_per_weight_with_overhead(), bpw);
      EXPECT_GE(summary.bits_per_weight_with_overhead(), 0.99 * bpw);
      EXPECT_LE(planned.budget.objective, previous_objective);  // more bytes, less predicted damage
      EXPECT_GE(planned.budget.objective, planned.budget.lower_bound - 1e-12);
      previous_objective = planned.budget.objective;
    }
  }
}

TEST(BudgetPlan, InfeasibleBudgetNamesTheMinimum) {
  const ModelDirectory model(test::source_dir() / "models/qwen3-tiny-5.8m");
  const auto manifest = curves_of(model);
  try {
    mlx::plan_mlx_budget(model, manifest, {1.0, std::nullopt}, std::nullopt);
    FAIL() << "a 1-bit budget cannot be met";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("smallest output"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bits/weight"), std::string::npos) << e.what();
  }
  // The smallest allowed output itself is feasible.
  const auto space = mlx::budget_space(model, std::nullopt);
  const auto targets = mlx::priced_targets(space, manifest);
  const std::uint64_t floor = minimum_budget(targets) + space.fixed_bytes;
  EXPECT_NO_THROW(mlx::plan_mlx_budget(model, manifest, {std::nullopt, floor}, std::nullopt));
  EXPECT_THROW(mlx::plan_mlx_budget(model, manifest, {std::nullopt, floor - 1}, std::nullopt), Error);
}

TEST(BudgetPlan, DeterministicAndIndependentOfThreads) {
  const ModelDirectory model(test::source_dir() / "models/qwen3-tiny-5.8m");
  analysis::AnalysisOptions options;
  options.error_curves = true;
  options.swan_metrics = false;
  options.record_time = false;
  options.threads = 1;
  const auto one = analysis::analyze_model(model, "m", options);
  const auto a = mlx::plan_mlx_budget(model, one, {4.5, std::nullopt}, std::nullopt);
  const auto b = mlx::plan_mlx_budget(model, curves_of(model), {4.5, std::nullopt}, std::nullopt);
  EXPECT_EQ(to_json(a.budget.plan).dump(), to_json(b.budget.plan).dump());
}

TEST(BudgetPlan, EmbeddingIsDecidedByTheBudgetNotByName) {
  const ModelDirectory model(test::source_dir() / "models/qwen3-tiny-5.8m");
  const auto manifest = curves_of(model);
  const auto low = mlx::plan_mlx_budget(model, manifest, {3.0, std::nullopt}, std::nullopt);
  const TensorPlan* embedding = low.budget.plan.find("model.embed_tokens.weight");
  ASSERT_NE(embedding, nullptr);
  EXPECT_TRUE(embedding->decision.is_quantized()) << to_string(embedding->decision);
}

BudgetTarget hand_target(std::string name, model::TensorRole role, std::vector<PricedOption> options) {
  BudgetTarget t;
  t.target = {std::move(name), {64, 64}, {}};
  t.role = role;
  t.options = std::move(options);
  return t;
}

TEST(BudgetPlan, RoutersKeepEightBitsAndTheSqnrFloorHolds) {
  const auto q = [](int bits, int group) { return QuantDecision::quantized(bits, group); };
  std::vector<BudgetTarget> targets;
  targets.push_back(hand_target("model.layers.0.mlp.gate.weight", model::TensorRole::router,
                                {{QuantDecision::keep_float(), 8192, 0.0}, {q(4, 64), 2304, 0.01}, {q(8, 64), 4352, 1e-4}}));
  // 2-bit has 4 dB SQNR (below the 6 dB floor), 3-bit 12 dB.
  targets.push_back(hand_target("model.layers.0.mlp.up_proj.weight", model::TensorRole::mlp_up,
                                {{QuantDecision::keep_float(), 8192, 0.0}, {q(2, 64), 1280, 0.4}, {q(3, 64), 1792, 0.063}}));
  const auto planned = plan_for_budget(targets, 4352 + 1792);
  EXPECT_EQ(planned.plan.find("model.layers.0.mlp.gate.weight")->decision, q(8, 64));
  EXPECT_EQ(planned.plan.find("model.layers.0.mlp.up_proj.weight")->decision, q(3, 64));
  EXPECT_EQ(minimum_budget(targets), 4352u + 1792u);
  EXPECT_THROW(plan_for_budget(targets, 4352 + 1792 - 1), Error);
  BudgetRules lax;
  lax.sqnr_floor_db = 0.0;
  EXPECT_EQ(minimum_budget(targets, lax), 4352u + 1280u);
}

TEST(BudgetPlan, TiedEmbeddingCarriesTheOutputHeadsWeight) {
  EXPECT_GT(role_prior(model::TensorRole::embedding, true), role_prior(model::TensorRole::embedding, false));
  EXPECT_GE(role_prior(model::TensorRole::embedding, true), role_prior(model::TensorRole::lm_head, false));
}

}  // namespace
}  // namespace swan::plan
