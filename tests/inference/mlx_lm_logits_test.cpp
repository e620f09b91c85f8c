// swan's inference of swan's own MLX output against the logits the real mlx_lm computes for
// the same quantization (golden/mlx_lm-logits: qwen3-tiny-5.8m and stories260k, float and
// seven settings, two 64-token sequences each). The reference shares no code with swan: it is
// mlx_lm's forward on the model mlx_lm.convert writes, which for every uniform setting is the
// same tensors swan writes (that README), so the only tolerance is float32 rounding.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "support/fixtures.h"
#include "swan/inference/model.h"
#include "swan/io/model_directory.h"
#include "swan/io/safetensors.h"
#include "swan/mlx/layout.h"
#include "swan/mlx/writer.h"
#include "swan/plan/builders.h"

namespace swan::inference {
namespace {

// The golden README: float32 engines agree with each other to 1-3e-5; it suggests ~1e-4.
constexpr double kLogitTolerance = 1e-4;

struct Setting {
  const char* model;  // folder under models/ and golden/mlx_lm-logits/
  const char* name;   // golden file stem
  int bits = 0;       // 0: float; -1: the mixed_3_6 recipe
  int group_size = 0;
};

// mlx_lm's mixed_3_6 recipe as that README states its result: 6-bit v_proj and down_proj in
// the "use more bits" layers (index < L/8, >= 7L/8, or (index - L/8) % 3 == 2), 3-bit for
// every other quantizable matrix including the embedding, group 64.
plan::QuantPlan mixed_3_6_plan(const std::vector<plan::PlanTarget>& targets, int layers) {
  plan::QuantPlan plan("manual", plan::QuantDecision::quantized(4, 64));
  const auto more_bits = [layers](int layer) {
    return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
  };
  for (const auto& target : targets) {
    int bits = 3;
    for (int layer = 0; layer < layers; ++layer) {
      const std::string prefix = "model.layers." + std::to_string(layer) + ".";
      if (more_bits(layer) && (target.name == prefix + "self_attn.v_proj.weight" ||
                               target.name == prefix + "mlp.down_proj.weight")) {
        bits = 6;
      }
    }
    if (target.name == "lm_head.weight") bits = 6;
    plan.set(target, plan::QuantDecision::quantized(bits, 64), "mixed_3_6");
  }
  return plan;
}

void PrintTo(const Setting& setting, std::ostream* out) { *out << setting.model << " " << setting.name; }

std::vector<std::int32_t> read_i32(const SafetensorsFile& file, const std::string& name) {
  const auto bytes = file.data(file.at(name));
  std::vector<std::int32_t> values(bytes.size() / 4);
  std::memcpy(values.data(), bytes.data(), bytes.size());
  return values;
}

std::vector<float> read_f32(const SafetensorsFile& file, const std::string& name) {
  const auto bytes = file.data(file.at(name));
  std::vector<float> values(bytes.size() / 4);
  std::memcpy(values.data(), bytes.data(), bytes.size());
  return values;
}

std::string setting_name(const ::testing::TestParamInfo<Setting>& info) {
  std::string name = std::string(info.param.model) + "_" + info.param.name;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

class MlxLmLogits : public ::testing::TestWithParam<Setting> {};

TEST_P(MlxLmLogits, SwanOutputReproducesMlxLmLogits) {
  const Setting& setting = GetParam();
  const ModelDirectory source(test::fixture_path(std::string("models/") + setting.model));
  const auto targets = mlx::quantizable_targets(source);
  const auto layers = source.config().at("num_hidden_layers").get<int>();
  const plan::QuantPlan plan = setting.bits == 0    ? plan::float_plan(targets)
                               : setting.bits == -1 ? mixed_3_6_plan(targets, layers)
                                                    : plan::uniform_plan(targets, setting.bits, setting.group_size);
  test::ScratchDir scratch;
  mlx::write_mlx_model(source, plan, scratch / "out");
  const Model model = Model::load(scratch / "out");
  const std::size_t vocab = model.vocab_size();

  const SafetensorsFile golden(test::fixture_path(std::string("golden/mlx_lm-logits/") + setting.model + "/" +
                                                  setting.name + ".safetensors"));
  for (const std::string sequence : {"text", "random"}) {
    const auto tokens = read_i32(golden, sequence + ".tokens");
    const auto top_ids = read_i32(golden, sequence + ".f32.top64_ids");
    const auto top_logprobs = read_f32(golden, sequence + ".f32.top64_logprobs");
    const auto logsumexp = read_f32(golden, sequence + ".f32.logsumexp");
    ASSERT_EQ(top_ids.size(), tokens.size() * 64);
    const auto logits = model.forward(tokens);
    ASSERT_EQ(logits.size(), tokens.size() * vocab);
    double worst = 0.0;
    for (std::size_t position = 0; position < tokens.size(); ++position) {
      for (std::size_t k = 0; k < 64; ++k) {
        // logit = log-softmax + log-sum-exp (that README); compares raw logits at mlx_lm's top 64.
        const auto id = static_cast<std::size_t>(top_ids[position * 64 + k]);
        ASSERT_LT(id, vocab);
        const double expected = static_cast<double>(top_logprobs[position * 64 + k]) + logsumexp[position];
        worst = std::max(worst, std::abs(static_cast<double>(logits[position * vocab + id]) - expected));
      }
    }
    EXPECT_LT(worst, kLogitTolerance) << setting.model << " " << setting.name << " " << sequence;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Golden, MlxLmLogits,
    ::testing::Values(Setting{"qwen3-tiny-5.8m", "float"}, Setting{"qwen3-tiny-5.8m", "q2_g32", 2, 32},
                      Setting{"qwen3-tiny-5.8m", "q3_g64", 3, 64}, Setting{"qwen3-tiny-5.8m", "q4_g64", 4, 64},
                      Setting{"qwen3-tiny-5.8m", "q4_g128", 4, 128}, Setting{"qwen3-tiny-5.8m", "q6_g64", 6, 64},
                      Setting{"qwen3-tiny-5.8m", "q8_g32", 8, 32}, Setting{"qwen3-tiny-5.8m", "mixed_3_6_g64", -1},
                      Setting{"stories260k", "float"}, Setting{"stories260k", "q2_g32", 2, 32},
                      Setting{"stories260k", "q3_g64", 3, 64}, Setting{"stories260k", "q4_g64", 4, 64},
                      Setting{"stories260k", "q4_g128", 4, 128}, Setting{"stories260k", "q6_g64", 6, 64},
                      Setting{"stories260k", "q8_g32", 8, 32}, Setting{"stories260k", "mixed_3_6_g64", -1}),
    setting_name);

}  // namespace
}  // namespace swan::inference
