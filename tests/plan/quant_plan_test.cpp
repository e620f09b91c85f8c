// QuantPlan: decisions, the group-size fallback, size accounting, JSON round trip and the
// builders (uniform, SWAN manifest), on hand-worked cases and the reference manifest.
#include "swan/plan/quant_plan.h"

#include <gtest/gtest.h>

#include "support/fixtures.h"
#include "swan/core/error.h"
#include "swan/plan/budget_choice.h"
#include "swan/plan/builders.h"

namespace swan::plan {
namespace {

TEST(QuantPlan, DecisionsAreValidated) {
  EXPECT_THROW(QuantDecision::quantized(7, 64), Error);
  EXPECT_THROW(QuantDecision::quantized(1, 64), Error);
  EXPECT_THROW(QuantDecision::quantized(4, 48), Error);
  EXPECT_EQ(QuantDecision::quantized(3, 32).bits, 3);
  EXPECT_FALSE(QuantDecision::keep_float().is_quantized());
}

TEST(QuantPlan, GroupSizeFallbackTriesSmallerGroupsThenFloat) {
  const auto q4g128 = QuantDecision::quantized(4, 128);
  EXPECT_EQ(fit_group_size(q4g128, 4096), q4g128);
  EXPECT_EQ(fit_group_size(q4g128, 64), QuantDecision::quantized(4, 64));   // 64 % 128 != 0
  EXPECT_EQ(fit_group_size(q4g128, 96), QuantDecision::quantized(4, 32));   // 96 = 3·32
  EXPECT_EQ(fit_group_size(q4g128, 172), QuantDecision::keep_float());      // 172 = 4·43
  EXPECT_EQ(fit_group_size(QuantDecision::quantized(8, 32), 48), QuantDecision::keep_float());
  EXPECT_EQ(fit_group_size(QuantDecision::keep_float(), 172), QuantDecision::keep_float());
  // mlx_lm's rule: no smaller group, float at once.
  EXPECT_EQ(fit_group_size(q4g128, 64, GroupSizeFallback::keep_float), QuantDecision::keep_float());
  EXPECT_EQ(fit_group_size(q4g128, 384, GroupSizeFallback::keep_float), q4g128);
}

TEST(QuantPlan, FallbacksAreRecorded) {
  QuantPlan plan("uniform", QuantDecision::quantized(4, 64));
  plan.set({"a.weight", {64, 128}, {}}, QuantDecision::quantized(4, 64), "uniform");
  const auto& b = plan.set({"b.weight", {64, 172}, {}}, QuantDecision::quantized(4, 64), "uniform");
  EXPECT_EQ(b.decision, QuantDecision::keep_float());
  EXPECT_EQ(b.requested, QuantDecision::quantized(4, 64));
  ASSERT_EQ(plan.fallbacks().size(), 1u);
  EXPECT_EQ(plan.fallbacks()[0]->name, "b.weight");
  EXPECT_NE(b.fallback_note().find("172"), std::string::npos);
  EXPECT_EQ(plan.find("a.weight")->sources, std::vector<std::string>{"a.weight"});
  EXPECT_THROW(plan.set({"c.bias", {64}, {}}, QuantDecision::quantized(4, 64), "x"), Error);
}

TEST(QuantPlan, QuantizedBytesCountCodesScalesAndBiases) {
  // 4096x4096 at 4-bit g64 with bf16 scales: 16777216/2 code bytes + 2·262144 groups·2 bytes.
  EXPECT_EQ(quantized_bytes(4096LL * 4096, QuantDecision::quantized(4, 64), 2), 8388608u + 1048576u);
  // 3-bit g32, 128 elements, fp32 scales: 48 code bytes + 2·4 groups·4 bytes.
  EXPECT_EQ(quantized_bytes(128, QuantDecision::quantized(3, 32), 4), 48u + 32u);
  EXPECT_EQ(quantized_bytes(100, QuantDecision::keep_float(), 2), 200u);
}

TEST(QuantPlan, JsonRoundTrip) {
  QuantPlan plan("swan", QuantDecision::quantized(4, 128));
  plan.list_every_module = true;
  plan.set({"x.weight", {32, 256}, {}}, QuantDecision::quantized(8, 64), "swan manifest");
  plan.set({"y.weight", {32, 64}, {"y0", "y1"}}, QuantDecision::quantized(4, 128), "swan manifest");
  plan.set({"z.weight", {32, 64}, {}}, QuantDecision::keep_float(), "protected");
  const QuantPlan back = plan_from_json(nlohmann::json::parse(to_json(plan).dump()));
  EXPECT_EQ(back.method(), "swan");
  EXPECT_EQ(back.defaults(), plan.defaults());
  EXPECT_TRUE(back.list_every_module);
  ASSERT_EQ(back.tensors().size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(back.tensors()[i].name, plan.tensors()[i].name);
    EXPECT_EQ(back.tensors()[i].requested, plan.tensors()[i].requested);
    EXPECT_EQ(back.tensors()[i].decision, plan.tensors()[i].decision);
    EXPECT_EQ(back.tensors()[i].sources, plan.tensors()[i].sources);
  }
  EXPECT_EQ(back.find("y.weight")->decision, QuantDecision::quantized(4, 64));
}

TEST(QuantPlan, ScaleMethodIsSavedAndOldPlansMeanMinMax) {
  QuantPlan plan("uniform", QuantDecision::quantized(4, 64));
  EXPECT_EQ(plan.scale_method(), quant::ScaleMethod::minmax);
  plan.set_scale_method(quant::ScaleMethod::optimized);
  auto json = nlohmann::json::parse(to_json(plan).dump());
  EXPECT_EQ(json["scales"], "optimized");
  EXPECT_EQ(plan_from_json(json).scale_method(), quant::ScaleMethod::optimized);
  json.erase("scales");  // a plan saved before the field existed was written with min/max
  EXPECT_EQ(plan_from_json(json).scale_method(), quant::ScaleMethod::minmax);
  json["scales"] = "hqq";
  EXPECT_THROW(plan_from_json(json), Error);
  json["scales"] = 1;
  EXPECT_THROW(plan_from_json(json), Error);
}

TEST(Builders, UniformPlanQuantizesEveryTarget) {
  const std::vector<PlanTarget> targets = {{"a.weight", {8, 128}, {}}, {"b.weight", {8, 96}, {}}};
  const auto plan = uniform_plan(targets, 5, 64);
  EXPECT_EQ(plan.defaults(), QuantDecision::quantized(5, 64));
  EXPECT_EQ(plan.find("a.weight")->decision, QuantDecision::quantized(5, 64));
  EXPECT_EQ(plan.find("b.weight")->decision, QuantDecision::keep_float());  // 96 % 64 != 0: mlx_lm keeps it float
  EXPECT_EQ(uniform_plan(targets, 5, 64, GroupSizeFallback::smaller_groups).find("b.weight")->decision,
            QuantDecision::quantized(5, 32));
  EXPECT_THROW(uniform_plan(targets, 7, 64), Error);
}

TEST(Builders, SwanGroupSizesPerBitWidth) {  // swan-method.md §5
  EXPECT_EQ(swan_group_size(8), 64);
  EXPECT_EQ(swan_group_size(4), 128);
  EXPECT_EQ(swan_group_size(2), 32);
}

TEST(Builders, SwanPlanFromDecisions) {
  ManifestDecisions decisions;
  decisions["q.weight"] = {8, std::nullopt};
  decisions["o.weight"] = {2, std::nullopt};
  decisions["emb.weight"] = {16, std::nullopt};
  decisions["d.weight"] = {4, 32};  // swan's own manifests may record a group size
  decisions["e.0.weight"] = {4, std::nullopt};
  decisions["e.1.weight"] = {8, std::nullopt};
  const std::vector<PlanTarget> targets = {{"q.weight", {64, 256}, {}},  {"o.weight", {64, 256}, {}},
                                           {"emb.weight", {64, 256}, {}}, {"d.weight", {64, 256}, {}},
                                           {"s.weight", {2, 64, 256}, {"e.0.weight", "e.1.weight"}},
                                           {"missing.weight", {64, 256}, {}}};
  const auto plan = swan_plan(targets, decisions);
  EXPECT_EQ(plan.defaults(), QuantDecision::quantized(4, 128));
  EXPECT_EQ(plan.find("q.weight")->decision, QuantDecision::quantized(8, 64));
  EXPECT_EQ(plan.find("o.weight")->decision, QuantDecision::quantized(2, 32));
  EXPECT_EQ(plan.find("emb.weight")->decision, QuantDecision::keep_float());
  EXPECT_EQ(plan.find("d.weight")->decision, QuantDecision::quantized(4, 32));
  EXPECT_EQ(plan.find("s.weight")->decision, QuantDecision::quantized(8, 64));  // widest expert
  EXPECT_EQ(plan.find("missing.weight")->decision, QuantDecision::quantized(4, 128));
  const std::vector<PlanTarget> partial = {{"s.weight", {2, 64, 256}, {"e.0.weight", "e.9.weight"}}};
  EXPECT_THROW(swan_plan(partial, decisions), Error);
}

TEST(Builders, SwanPredicateKeepsRoutersAndEmbeddingsFloat) {
  EXPECT_TRUE(swan_never_quantizes("model.layers.0.mlp.gate.weight"));
  EXPECT_TRUE(swan_never_quantizes("model.layers.0.block_sparse_moe.router.weight"));
  EXPECT_TRUE(swan_never_quantizes("model.embed_tokens.weight"));
  EXPECT_TRUE(swan_never_quantizes("lm_head.weight"));
  EXPECT_FALSE(swan_never_quantizes("model.layers.0.mlp.gate_proj.weight"));
  EXPECT_FALSE(swan_never_quantizes("model.layers.0.self_attn.o_proj.weight"));
  ManifestDecisions decisions;
  decisions["model.layers.0.mlp.gate.weight"] = {4, std::nullopt};
  const std::vector<PlanTarget> targets = {{"model.layers.0.mlp.gate.weight", {8, 256}, {}}};
  EXPECT_EQ(swan_plan(targets, decisions).find("model.layers.0.mlp.gate.weight")->decision, QuantDecision::keep_float());
}

TEST(Builders, ReadsTheReferenceManifest) {
  const auto decisions =
      read_manifest_decisions(test::shared_path("golden/swan-reference/stories260k_manifest_seed0.json"));
  // README: 47 tensors; 16-bit embed_tokens + 11 norms; 8-bit q/k_proj ×10 + layer-0 o_proj; 24 at 4 bits.
  ASSERT_EQ(decisions.size(), 47u);
  std::map<int, int> counts;
  for (const auto& [name, d] : decisions) ++counts[d.bits];
  EXPECT_EQ(counts[16], 12);
  EXPECT_EQ(counts[8], 11);
  EXPECT_EQ(counts[4], 24);
  EXPECT_EQ(decisions.at("model.layers.0.self_attn.o_proj.weight").bits, 8);
  EXPECT_THROW(read_manifest_decisions(test::shared_path("golden/mlx_lm/README.md")), Error);
}

TEST(QuantPlan, BudgetIsSavedAndOptional) {
  QuantPlan plan("budget", QuantDecision::quantized(4, 64));
  plan.budget = describe(Budget{4.5, std::nullopt});
  EXPECT_EQ(plan.budget, "4.5 bits/weight");
  EXPECT_EQ(describe(Budget{std::nullopt, 3252224}), "3252224 bytes");
  auto json = nlohmann::json::parse(to_json(plan).dump());
  const QuantPlan back = plan_from_json(json);
  EXPECT_EQ(back.budget, plan.budget);
  json.erase("budget");  // plans saved before the field existed, or made without a budget
  EXPECT_TRUE(plan_from_json(json).budget.empty());
  EXPECT_FALSE(to_json(QuantPlan("uniform", QuantDecision::quantized(4, 64))).contains("budget"));
  json["budget"] = 7;
  EXPECT_THROW(plan_from_json(json), Error);
}

}  // namespace
}  // namespace swan::plan
