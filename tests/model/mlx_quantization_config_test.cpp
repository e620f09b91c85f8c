// The one reading of mlx_lm's "quantization" config entry (inspect and eval both use it),
// on hand-written entries whose reading follows from the spec (mlx-format.md §5.1-5.2).
#include "swan/model/mlx_quantization_config.h"

#include <gtest/gtest.h>

#include "swan/core/error.h"

namespace swan::model {
namespace {

using J = nlohmann::ordered_json;

MlxQuantizationConfig read(const J& config) { return read_mlx_quantization_config(config, "config.json"); }

// (bits, group_size) of a format, or (0, 0) for float: comparable and printable.
std::pair<int, int> f(const std::optional<quant::AffineFormat>& format) {
  return format ? std::pair{format->bits, format->group_size} : std::pair{0, 0};
}
std::pair<int, int> f(const quant::AffineFormat& format) { return {format.bits, format.group_size}; }

bool mentions(const MlxQuantizationConfig& q, const std::string& text) {
  for (const auto& p : q.problems)
    if (p.find(text) != std::string::npos) return true;
  return false;
}

TEST(MlxQuantizationConfig, AbsentEntryMeansFloat) {
  const auto q = read(J{{"model_type", "llama"}});
  EXPECT_FALSE(q.present);
  EXPECT_TRUE(q.usable());
  EXPECT_EQ(f(q.format_for("model.layers.0.mlp.up_proj", false)), std::pair(0, 0));
  EXPECT_THROW(q.format_for("model.layers.0.mlp.up_proj", true), Error);  // scales without an entry
}

TEST(MlxQuantizationConfig, GlobalsAndOverridesAsMlxLmReadsThem) {
  const auto q = read(J{{"quantization",
                         {{"group_size", 32},
                          {"bits", 3},
                          {"mode", "affine"},
                          {"model.layers.0.self_attn.v_proj", {{"bits", 6}}},  // group falls back to 64, not 32
                          {"model.layers.1.mlp.down_proj", true},
                          {"lm_head", false}}}});
  ASSERT_TRUE(q.usable()) << testing::PrintToString(q.problems);
  EXPECT_EQ(q.key, "quantization");
  EXPECT_EQ(f(q.global), std::pair(3, 32));
  EXPECT_EQ(f(q.format_for("model.layers.0.self_attn.v_proj", true)), std::pair(6, 64));
  EXPECT_EQ(f(q.format_for("model.layers.1.mlp.down_proj", true)), std::pair(3, 32));
  EXPECT_EQ(f(q.format_for("lm_head", false)), std::pair(0, 0));
  EXPECT_THROW(q.format_for("lm_head", true), Error);  // marked false but stored quantized
  // No override: quantized with the globals iff the scales exist.
  EXPECT_EQ(f(q.format_for("model.layers.2.mlp.up_proj", true)), std::pair(3, 32));
  EXPECT_EQ(f(q.format_for("model.layers.2.mlp.up_proj", false)), std::pair(0, 0));
}

TEST(MlxQuantizationConfig, LegacyKeyIsReadOnlyWhenThePrimaryIsAbsent) {
  const J entry{{"group_size", 128}, {"bits", 8}};
  const auto legacy = read(J{{"quantization_config", entry}});
  ASSERT_TRUE(legacy.usable());
  EXPECT_EQ(legacy.key, "quantization_config");
  EXPECT_EQ(f(legacy.global), std::pair(8, 128));
  const auto both = read(J{{"quantization", {{"group_size", 64}, {"bits", 4}}}, {"quantization_config", entry}});
  EXPECT_EQ(both.key, "quantization");
  EXPECT_EQ(f(both.global), std::pair(4, 64));
  // A foreign format in the legacy key (GPTQ, AWQ, FP8) is not MLX affine.
  const auto gptq = read(J{{"quantization_config", {{"quant_method", "gptq"}, {"bits", 4}}}});
  EXPECT_FALSE(gptq.usable());
  EXPECT_TRUE(mentions(gptq, "quant_method"));
}

TEST(MlxQuantizationConfig, MissingGlobalsAreProblemsButNullIsTheDefault) {
  const auto no_bits = read(J{{"quantization", {{"group_size", 64}}}});
  EXPECT_FALSE(no_bits.usable());
  EXPECT_TRUE(mentions(no_bits, "quantization.bits is missing"));
  // mlx_lm writes "group_size": null for its mixed recipes when no group size was given.
  const auto null_group = read(J{{"quantization", {{"group_size", nullptr}, {"bits", 4}}}});
  ASSERT_TRUE(null_group.usable()) << testing::PrintToString(null_group.problems);
  EXPECT_EQ(f(null_group.global), std::pair(4, 64));
}

TEST(MlxQuantizationConfig, IntegersAreRangeCheckedNeverTruncated) {
  for (const J bits : {J(4294967300ULL), J(-4294967292LL), J(4.5), J(4.0), J("4"), J(0), J(7)}) {
    const auto q = read(J{{"quantization", {{"group_size", 64}, {"bits", bits}}}});
    EXPECT_FALSE(q.usable()) << bits.dump();
    EXPECT_TRUE(mentions(q, "quantization")) << bits.dump();
  }
}

TEST(MlxQuantizationConfig, OverrideDictsAcceptOnlyMlxLmsKeys) {
  const auto unknown = read(J{{"quantization", {{"group_size", 64}, {"bits", 4}, {"lm_head", {{"bits", 6}, {"gs", 32}}}}}});
  EXPECT_FALSE(unknown.usable());
  EXPECT_TRUE(mentions(unknown, "unknown key \"gs\""));
  const auto input = read(J{{"quantization",
                             {{"group_size", 64}, {"bits", 4}, {"lm_head", {{"bits", 6}, {"quantize_input", false}}}}}});
  EXPECT_TRUE(input.usable()) << testing::PrintToString(input.problems);
  const auto not_a_dict = read(J{{"quantization", {{"group_size", 64}, {"bits", 4}, {"lm_head", 6}}}});
  EXPECT_FALSE(not_a_dict.usable());
}

TEST(MlxQuantizationConfig, OtherModesAreProblems) {
  const auto q = read(J{{"quantization", {{"group_size", 32}, {"bits", 4}, {"mode", "mxfp4"}}}});
  EXPECT_FALSE(q.usable());
  EXPECT_TRUE(mentions(q, "mxfp4"));
  EXPECT_THROW(require_mlx_quantization_config(J{{"quantization", {{"group_size", 32}, {"bits", 4}, {"mode", "mxfp4"}}}},
                                               "config.json"),
               Error);
}

TEST(MlxQuantizationConfig, ProblemsShowBoundedValues) {
  const std::string long_key(100000, 'k');
  const auto q = read(J{{"quantization", {{"group_size", 64}, {"bits", J::array({1, 2, 3})}, {long_key, "x"}}}});
  ASSERT_FALSE(q.usable());
  for (const auto& p : q.problems) EXPECT_LT(p.size(), 400u) << p.substr(0, 400);
}

}  // namespace
}  // namespace swan::model
