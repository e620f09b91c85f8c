// Measured sensitivity: the in-context round measured against what it must reduce to by
// construction — with nothing else quantized, a tensor's in-context KLD is its isolated
// probe's; a tensor the plan keeps float costs exactly the difference of two whole-plan KLDs;
// and measuring leaves the model as it found it.
#include "swan/sensitivity/measured_sensitivity.h"

#include <gtest/gtest.h>

#include "support/fixtures.h"

namespace swan::sensitivity {
namespace {

const TensorSensitivity& entry(const SensitivityReport& report, const std::string& name) {
  for (const auto& t : report.tensors)
    if (t.name == name) return t;
  throw std::runtime_error("no entry for " + name);
}

TEST(SensitivityMeter, InContextReducesToTheIsolatedProbeAndToPlanDifferences) {
  const auto model = test::shared_path("models/stories260k");
  const plan::PlanTarget q{"model.layers.0.self_attn.q_proj.weight", {64, 64}, {}};
  const plan::PlanTarget up{"model.layers.1.mlp.up_proj.weight", {172, 64}, {}};
  const std::vector<plan::PlanTarget> targets{q, up};
  SensitivityOptions options;
  options.sequences = 2;
  options.length = 32;
  SensitivityMeter meter(model, targets, options);

  const auto isolated = meter.isolated(quant::ScaleMethod::minmax);
  ASSERT_EQ(isolated.tensors.size(), 2u);
  EXPECT_GT(entry(isolated, q.name).kld, 0.0);

  plan::QuantPlan only_q("manual", plan::QuantDecision::keep_float());
  only_q.set(q, plan::QuantDecision::quantized(4, 64), "test");
  const auto in_context = meter.in_context(only_q);
  ASSERT_EQ(in_context.tensors.size(), 2u);
  // The float model against itself has KLD 0, so restoring q gives back all of the plan's KLD.
  EXPECT_DOUBLE_EQ(in_context.plan_kld, entry(isolated, q.name).kld);
  EXPECT_DOUBLE_EQ(entry(in_context, q.name).kld, entry(isolated, q.name).kld);
  EXPECT_DOUBLE_EQ(entry(in_context, q.name).relative_error, entry(isolated, q.name).relative_error);

  // up is float in the plan: its cost is the plan with up at the probe minus the plan.
  plan::QuantPlan both = only_q;
  both.set(up, plan::QuantDecision::quantized(4, 64), "test");
  EXPECT_DOUBLE_EQ(entry(in_context, up.name).kld, meter.plan_kld(both) - meter.plan_kld(only_q));
  EXPECT_NE(entry(in_context, up.name).kld, entry(isolated, up.name).kld);  // the context matters

  // Every weight is back in place: measuring again gives the same numbers.
  const auto again = meter.isolated(quant::ScaleMethod::minmax);
  for (const auto& t : isolated.tensors) EXPECT_DOUBLE_EQ(entry(again, t.name).kld, t.kld) << t.name;
}

}  // namespace
}  // namespace swan::sensitivity
