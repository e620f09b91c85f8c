// Measured sensitivity: the in-context round measured against what it must reduce to by
// construction — with nothing else quantized, a tensor's in-context KLD is its isolated
// probe's; a tensor the plan keeps float costs exactly the difference of two whole-plan KLDs;
// and measuring leaves the model as it found it.
#include "swan/sensitivity/measured_sensitivity.h"

#include <algorithm>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <omp.h>

#include "support/fixtures.h"
#include "swan/io/model_directory.h"
#include "swan/quant/affine.h"
#include "swan/quant/ggml_quantize.h"

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

// MoE: a target that stacks a layer's experts is probed with all of them quantized, its
// relative error taken over all of them; the router is probed like any matrix; the same
// identities as above hold, and the model is left as it was.
TEST(SensitivityMeter, StackedExpertsAreProbedTogether) {
  const auto model = test::shared_path("models/moe-tiny-qwen3");
  const ModelDirectory directory(model);
  // As the MLX layout plans them: one target for layer 0's eight up_proj experts.
  plan::PlanTarget experts{"model.layers.0.mlp.switch_mlp.up_proj.weight", {8, 128, 64}, {}};
  for (int e = 0; e < 8; ++e) experts.sources.push_back(fmt::format("model.layers.0.mlp.experts.{}.up_proj.weight", e));
  const plan::PlanTarget router{"model.layers.0.mlp.gate.weight", {8, 64}, {}};
  ASSERT_EQ(experts.sources.size(), 8u);
  SensitivityOptions options;
  options.sequences = 2;
  options.length = 24;
  // Expert 0 alone, as if it were a plain matrix: all eight together must cost something else.
  const plan::PlanTarget expert0{experts.sources.front(), {128, 64}, {}};
  SensitivityMeter meter(model, std::vector<plan::PlanTarget>{experts, router, expert0}, options);
  const auto isolated = meter.isolated(quant::ScaleMethod::minmax);
  ASSERT_EQ(isolated.tensors.size(), 3u);
  EXPECT_GT(entry(isolated, experts.name).kld, 0.0);
  EXPECT_GT(entry(isolated, router.name).kld, 0.0);
  EXPECT_GT(entry(isolated, expert0.name).kld, 0.0);
  EXPECT_NE(entry(isolated, expert0.name).kld, entry(isolated, experts.name).kld);

  // The stacked target's relative error: every expert quantized at the probe, errors pooled.
  double squared_error = 0.0, squared_norm = 0.0;
  const auto probe = std::get<quant::AffineFormat>(entry(isolated, experts.name).probe);
  for (const std::string& name : experts.sources) {
    const ModelTensor& t = *directory.find(name);
    const std::size_t rows = t.info->shape[0], cols = t.info->shape[1];
    const auto w = directory.read_float(t);
    std::vector<std::uint32_t> packed(rows * quant::packed_words_per_row(cols, probe.bits));
    std::vector<float> scales(rows * quant::groups_per_row(cols, probe.group_size)), biases(scales.size()),
        back(w.size());
    quant::quantize_affine(w, rows, cols, probe, t.info->dtype, packed, scales, biases);
    quant::dequantize_affine(packed, scales, biases, rows, cols, probe, back);
    for (std::size_t i = 0; i < w.size(); ++i) {
      squared_error += (static_cast<double>(w[i]) - back[i]) * (static_cast<double>(w[i]) - back[i]);
      squared_norm += static_cast<double>(w[i]) * w[i];
    }
  }
  EXPECT_NEAR(entry(isolated, experts.name).relative_error, squared_error / squared_norm,
              1e-12 * squared_error / squared_norm);

  plan::QuantPlan only_experts("manual", plan::QuantDecision::keep_float());
  only_experts.set(experts, plan::QuantDecision::quantized(probe.bits, probe.group_size), "test");
  const auto in_context = meter.in_context(only_experts);
  EXPECT_DOUBLE_EQ(in_context.plan_kld, entry(isolated, experts.name).kld);
  EXPECT_DOUBLE_EQ(entry(in_context, experts.name).kld, entry(isolated, experts.name).kld);
  const auto again = meter.isolated(quant::ScaleMethod::minmax);
  for (const auto& t : isolated.tensors) EXPECT_DOUBLE_EQ(entry(again, t.name).kld, t.kld) << t.name;
}

// Seven probed targets across the layers (the tied embedding among them, which resumes at
// layer 0) and one no probe fits.
std::vector<plan::PlanTarget> spread_targets() {
  return {{"model.embed_tokens.weight", {512, 64}, {}},
          {"model.layers.0.self_attn.k_proj.weight", {32, 64}, {}},
          {"model.layers.1.mlp.up_proj.weight", {172, 64}, {}},
          {"model.layers.2.self_attn.q_proj.weight", {64, 64}, {}},
          {"model.layers.3.self_attn.o_proj.weight", {64, 64}, {}},
          {"model.layers.4.mlp.gate_proj.weight", {172, 64}, {}},
          {"model.layers.4.mlp.down_proj.weight", {64, 172}, {}},  // 172 wide: no probe
          {"model.layers.4.self_attn.v_proj.weight", {32, 64}, {}}};
}

// A short self-text: enough to tell the probes apart, quick to measure.
SensitivityOptions short_text() {
  SensitivityOptions options;
  options.sequences = 2;
  options.length = 32;
  return options;
}

// The numbers must not depend on --threads: probes run concurrently in batches whose size
// follows the thread count, each on its own view of the model, each pass on one thread (two
// threads make the race the BLAS guard had likely to show).
TEST(SensitivityMeter, SameNumbersForAnyThreadCount) {
  const auto model = test::shared_path("models/stories260k");
  const auto targets = spread_targets();
  SensitivityOptions options;
  options.sequences = 3;
  options.length = 40;
  const auto measure = [&](int threads) {
    const int before = omp_get_max_threads();
    omp_set_num_threads(threads);
    SensitivityMeter meter(model, targets, options);
    auto isolated = meter.isolated(quant::ScaleMethod::minmax);
    plan::QuantPlan plan("manual", plan::QuantDecision::keep_float());
    plan.set(targets[3], plan::QuantDecision::quantized(3, 32), "test");
    plan.set(targets[5], plan::QuantDecision::quantized(2, 64), "test");
    auto in_context = meter.in_context(plan);
    omp_set_num_threads(before);
    return std::pair{isolated, in_context};
  };
  const auto [one_isolated, one_in_context] = measure(1);
  ASSERT_EQ(one_isolated.tensors.size(), 7u);
  ASSERT_EQ(one_in_context.tensors.size(), 7u);
  for (int threads : {2, 3, 7}) {
    const auto [isolated, in_context] = measure(threads);
    EXPECT_EQ(one_isolated.text, isolated.text);
    EXPECT_EQ(one_in_context.plan_kld, in_context.plan_kld) << threads;
    ASSERT_EQ(isolated.tensors.size(), one_isolated.tensors.size());
    for (const auto& t : one_isolated.tensors) EXPECT_EQ(entry(isolated, t.name).kld, t.kld) << t.name << threads;
    for (const auto& t : one_in_context.tensors) EXPECT_EQ(entry(in_context, t.name).kld, t.kld) << t.name << threads;
  }
}

// Probes measured together do not see each other: each target's KLD is the one it has when
// it is the only target, and the report keeps the targets' order.
TEST(SensitivityMeter, ProbesMeasuredTogetherEqualProbesMeasuredAlone) {
  const auto model = test::shared_path("models/stories260k");
  const auto targets = spread_targets();
  const auto options = short_text();
  SensitivityMeter together(model, targets, options);
  const auto all = together.isolated(quant::ScaleMethod::minmax);
  ASSERT_EQ(all.tensors.size(), 7u);
  std::size_t previous = 0;
  for (const auto& t : all.tensors) {
    const auto position = static_cast<std::size_t>(
        std::find_if(targets.begin(), targets.end(), [&](const auto& target) { return target.name == t.name; }) -
        targets.begin());
    EXPECT_GE(position, previous) << t.name;
    previous = position;
  }
  for (const std::size_t i : {0u, 4u, 7u}) {
    SensitivityMeter alone(model, std::vector<plan::PlanTarget>{targets[i]}, options);
    const auto one = alone.isolated(quant::ScaleMethod::minmax);
    ASSERT_EQ(one.tensors.size(), 1u);
    EXPECT_EQ(one.tensors[0].kld, entry(all, targets[i].name).kld) << targets[i].name;
    EXPECT_EQ(one.tensors[0].relative_error, entry(all, targets[i].name).relative_error) << targets[i].name;
  }
}

// A GGUF plan's ggml types are put into the model as ggml blocks: restoring the only
// quantized target gives back the whole plan's KLD, its relative error is the ggml
// quantizer's (the planner's error-curve function, an independent path), and more bits cost
// less. Placements of either format go through the same round.
TEST(SensitivityMeter, PlacesGgmlTypesInContext) {
  const auto model = test::shared_path("models/stories260k");
  const auto targets = spread_targets();
  SensitivityMeter meter(model, targets, short_text());
  const std::size_t q = 3;  // layers.2 q_proj, 64 x 64: rows of two Q8_0 / Q4_0 blocks
  const auto place = [&](quant::GgmlType type) {
    PlacedPlan plan;
    plan.formats.resize(targets.size());
    plan.formats[q] = type;
    return plan;
  };
  const auto q8 = meter.in_context(place(quant::GgmlType::Q8_0));
  const auto q4 = meter.in_context(place(quant::GgmlType::Q4_0));
  ASSERT_EQ(q8.tensors.size(), 7u);
  const auto& restored = entry(q4, targets[q].name);
  EXPECT_EQ(std::get<quant::GgmlType>(restored.probe), quant::GgmlType::Q4_0);
  EXPECT_DOUBLE_EQ(restored.kld, q4.plan_kld);  // the rest of the plan is float
  EXPECT_GT(q8.plan_kld, 0.0);
  EXPECT_LT(q8.plan_kld, q4.plan_kld);

  const ModelDirectory directory(model);
  const ModelTensor& tensor = *directory.find(targets[q].name);
  const auto w = directory.read_float(tensor);
  double norm = 0.0;
  for (const float v : w) norm += static_cast<double>(v) * v;
  EXPECT_NEAR(restored.relative_error, quant::ggml_quantization_sse(quant::GgmlType::Q4_0, w, 64, 64) / norm,
              1e-9 * restored.relative_error);

  // An MLX plan of the same target through placed_plan: the same round, affine codes.
  plan::QuantPlan mlx_plan("manual", plan::QuantDecision::keep_float());
  mlx_plan.set(targets[q], plan::QuantDecision::quantized(4, 32), "test");
  const PlacedPlan placed = placed_plan(mlx_plan, targets);
  ASSERT_EQ(placed.formats.size(), targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) EXPECT_EQ(placed.formats[i].has_value(), i == q) << i;
  EXPECT_EQ(meter.plan_kld(placed), meter.plan_kld(mlx_plan));
  EXPECT_NE(meter.plan_kld(placed), q4.plan_kld);
}

}  // namespace
}  // namespace swan::sensitivity
