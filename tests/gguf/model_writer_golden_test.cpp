// The whole HF -> GGUF path against llama.cpp's own files (shared/golden/gguf): for every
// pure type and both mixed presets of llama-synth, and Q4_K_M of qwen3-synth, swan's file is
// byte-identical to llama-quantize's (metadata, tensor infos, order, data, padding). The
// converter's F32 file has the converter's layout (other tensor and key order), so it is
// compared key by key and tensor by tensor. Recipes are checked against every row of
// llama-quantize --dry-run in recipes.tsv.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "support/fixtures.h"
#include "swan/core/error.h"
#include "swan/gguf/model_writer.h"
#include "swan/gguf/reader.h"

namespace swan::gguf {
namespace {

std::filesystem::path golden(const std::string& file) { return test::shared_path("golden/gguf/" + file); }

std::vector<std::byte> read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), {});
  std::vector<std::byte> bytes(chars.size());
  std::memcpy(bytes.data(), chars.data(), chars.size());
  return bytes;
}

std::filesystem::path write(const test::ScratchDir& dir, const std::string& model, TypeChoice choice,
                            const std::string& name, std::size_t slab_bytes = GgufWriteOptions{}.slab_bytes) {
  static int files = 0;
  const ModelDirectory source(golden(model + "/hf"));
  GgufWriteOptions options;
  options.choice = choice;
  options.name = name;
  options.slab_bytes = slab_bytes;
  const auto out = dir / fmt::format("{}-{}.gguf", name, ++files);
  write_gguf_model(source, out, options);
  return out;
}

void expect_identical(const std::filesystem::path& ours, const std::filesystem::path& theirs) {
  const auto a = read_all(ours), b = read_all(theirs);
  ASSERT_EQ(a.size(), b.size()) << theirs.filename();
  std::size_t first = a.size();
  for (std::size_t i = 0; i < a.size() && first == a.size(); ++i)
    if (a[i] != b[i]) first = i;
  EXPECT_EQ(first, a.size()) << theirs.filename() << ": first differing byte " << first;
}

class PureFiles : public ::testing::TestWithParam<std::string> {};

TEST_P(PureFiles, LlamaSynthIsByteIdenticalToLlamaQuantizePure) {
  SWAN_REQUIRE_FIXTURE(gguf_goldens, "golden/gguf/README.md");
  (void)gguf_goldens;
  const test::ScratchDir dir;
  const auto type = quant::parse_ggml_type(GetParam());
  ASSERT_TRUE(type);
  const auto out = write(dir, "llama-synth", {preset_for_type(*type), true, {}}, "llama-synth");
  expect_identical(out, golden("llama-synth/llama-synth-" + GetParam() + ".gguf"));
}

INSTANTIATE_TEST_SUITE_P(Types, PureFiles,
                         ::testing::Values("F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K",
                                           "Q4_K", "Q5_K", "Q6_K"));

TEST(GgufGolden, MixedPresetsAreByteIdenticalToLlamaQuantize) {
  SWAN_REQUIRE_FIXTURE(gguf_goldens, "golden/gguf/README.md");
  (void)gguf_goldens;
  const test::ScratchDir dir;
  for (const auto preset : {Preset::Q4_K_M, Preset::Q3_K_M}) {
    const auto out = write(dir, "llama-synth", {preset, false, {}}, "llama-synth");
    expect_identical(out, golden(fmt::format("llama-synth/llama-synth-{}.gguf", preset_name(preset))));
  }
  // BF16 checkpoint, byte-level BPE tokenizer with merges and added tokens, tied embedding
  // (treated as the output matrix: Q6_K), q/k norms, head_dim 128 != E/H, no permutation.
  const auto out = write(dir, "qwen3-synth", {Preset::Q4_K_M, false, {}}, "qwen3-synth");
  expect_identical(out, golden("qwen3-synth/qwen3-synth-Q4_K_M.gguf"));
  // The same with every tensor produced a few rows at a time (slab_writer_test.cpp).
  expect_identical(write(dir, "qwen3-synth", {Preset::Q4_K_M, false, {}}, "qwen3-synth", 1000),
                   golden("qwen3-synth/qwen3-synth-Q4_K_M.gguf"));
  expect_identical(write(dir, "llama-synth", {Preset::Q4_K_M, false, {}}, "llama-synth", 1000),
                   golden("llama-synth/llama-synth-Q4_K_M.gguf"));
}

TEST(GgufGolden, F32MatchesTheConverterKeyByKeyAndTensorByTensor) {
  SWAN_REQUIRE_FIXTURE(gguf_goldens, "golden/gguf/README.md");
  (void)gguf_goldens;
  const test::ScratchDir dir;
  const GgufFile ours(write(dir, "llama-synth", {Preset::F32, true, {}}, "llama-synth"));
  const GgufFile theirs(golden("llama-synth/llama-synth-F32.gguf"));
  ASSERT_EQ(ours.metadata().entries.size(), theirs.metadata().entries.size());
  for (const auto& [key, value] : theirs.metadata().entries) {
    const Value* mine = ours.metadata().find(key);
    ASSERT_NE(mine, nullptr) << key;
    EXPECT_TRUE(*mine == value) << key << ": " << format_value(*mine) << " vs " << format_value(value);
  }
  ASSERT_EQ(ours.tensors().size(), theirs.tensors().size());
  for (const auto& t : theirs.tensors()) {
    const TensorRecord* mine = ours.find(t.name);
    ASSERT_NE(mine, nullptr) << t.name;
    EXPECT_EQ(mine->ne, t.ne) << t.name;
    EXPECT_EQ(mine->type, t.type) << t.name;
    const auto a = ours.data(*mine), b = theirs.data(t);
    ASSERT_EQ(a.size(), b.size()) << t.name;
    EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size()), 0) << t.name;
  }
}

struct RecipeRow {
  std::string model, tensor;
  std::uint64_t ne0 = 0;
  std::vector<std::string> types;
};

TEST(GgufGolden, RecipesMatchLlamaQuantizeDryRunForEveryTensor) {
  SWAN_REQUIRE_FIXTURE(gguf_goldens, "golden/gguf/README.md");
  (void)gguf_goldens;
  std::ifstream in(golden("recipes.tsv"));
  std::string line;
  std::getline(in, line);
  std::vector<std::string> presets;
  {
    std::istringstream header(line);
    std::string column;
    for (int i = 0; std::getline(header, column, '\t'); ++i)
      if (i >= 4) presets.push_back(column);
  }
  // The four dry-run models of the golden README: layers, heads, KV heads, untied output.
  const std::map<std::string, RecipeModel> models{{"llama-L2", {2, 4, 2, true}},
                                                  {"llama-L8-gqa4", {8, 4, 1, true}},
                                                  {"llama-E384-L16-tied", {16, 6, 2, false}},
                                                  {"qwen3-L3-tied", {3, 4, 1, false}}};
  std::size_t checked = 0;
  while (std::getline(in, line)) {
    std::istringstream row(line);
    std::string model, tensor, ne0, ne1;
    std::getline(row, model, '\t');
    std::getline(row, tensor, '\t');
    std::getline(row, ne0, '\t');
    std::getline(row, ne1, '\t');
    ASSERT_TRUE(models.contains(model)) << model;
    for (const auto& preset_text : presets) {
      std::string expected;
      std::getline(row, expected, '\t');
      const auto preset = parse_preset(preset_text);
      ASSERT_TRUE(preset) << preset_text;
      EXPECT_EQ(quant::ggml_type_name(recipe_type(*preset, models.at(model), tensor, std::stoull(ne0), false)), expected)
          << model << " " << tensor << " " << preset_text;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 209u * 14u);
}

TEST(GgufRecipe, PureGivesTheBaseTypeWithShapeFallbacksOnly) {
  const RecipeModel model{16, 6, 2, false};
  EXPECT_EQ(recipe_type(Preset::Q4_K_M, model, "token_embd.weight", 256, true), quant::GgmlType::Q4_K);
  EXPECT_EQ(recipe_type(Preset::Q4_K_M, model, "blk.0.attn_v.weight", 384, true), quant::GgmlType::Q5_0);
  EXPECT_EQ(recipe_type(Preset::Q2_K, model, "blk.0.ffn_down.weight", 1056, true), quant::GgmlType::Q4_0);
  EXPECT_EQ(recipe_type(Preset::Q6_K, model, "blk.0.ffn_down.weight", 172, true), quant::GgmlType::F16);
  EXPECT_THROW(recipe_type(Preset::Q4_0, model, "blk.0.ffn_down.weight", 172, true), Error);
}

TEST(GgufNames, SizeLabelFollowsTheConverter) {
  EXPECT_EQ(size_label(852736), "853K");
  EXPECT_EQ(size_label(2032640), "2.0M");
  EXPECT_EQ(size_label(1'630'000'000), "1.6B");
  EXPECT_EQ(size_label(7'241'732'096), "7.2B");
  EXPECT_EQ(size_label(14'770'033'000ULL), "15B");
}

}  // namespace
}  // namespace swan::gguf
