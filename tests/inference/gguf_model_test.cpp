// A GGUF file evaluates exactly as the HF model it dequantizes to: swan writes a GGUF (llama
// with the q/k permutation and shape fallbacks: stories260k; qwen3 with a tied embedding:
// qwen3-tiny), then an F32 HF checkpoint is built independently from the file's bytes
// (each tensor dequantized, llama's q/k rows moved back to HF order) and both models'
// logits must be identical.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/fixtures.h"
#include "swan/gguf/model_writer.h"
#include "swan/gguf/reader.h"
#include "swan/inference/model.h"
#include "swan/io/safetensors_writer.h"
#include "swan/model/gguf_naming.h"
#include "swan/quant/ggml_quantize.h"

namespace swan::inference {
namespace {

namespace fs = std::filesystem;

// The HF directory `gguf_file` dequantizes to, next to a copy of the source's config.json.
void write_dequantized_checkpoint(const fs::path& source_dir, const fs::path& gguf_file, const fs::path& out_dir) {
  const ModelDirectory source(source_dir);
  const auto config = model::parse_model_config(source.config(), "config.json");
  const auto planned = gguf::plan_gguf_tensors(source, config, {gguf::Preset::F32, true, {}});
  const gguf::GgufFile file(gguf_file);
  fs::create_directories(out_dir);
  std::vector<TensorSpec> specs;
  std::vector<std::vector<float>> values;
  for (const auto& p : planned) {
    const gguf::TensorRecord* t = file.find(p.name);
    ASSERT_NE(t, nullptr) << p.name;
    const auto cols = static_cast<std::size_t>(t->ne.size() >= 2 ? t->ne[0] : 1);
    const auto rows = static_cast<std::size_t>(t->elements()) / cols;
    std::vector<float> stored(rows * cols), hf(rows * cols);
    quant::dequantize_rows(t->type, file.data(*t), rows, cols, stored, 1);
    if (!p.expert_sources.empty()) {  // a stacked expert tensor: one HF matrix per expert
      const std::size_t each = rows / p.expert_sources.size() * cols;
      for (std::size_t e = 0; e < p.expert_sources.size(); ++e) {
        specs.push_back({p.expert_sources[e], DType::F32, source.find(p.expert_sources[e])->info->shape});
        values.emplace_back(stored.begin() + static_cast<std::ptrdiff_t>(e * each),
                            stored.begin() + static_cast<std::ptrdiff_t>((e + 1) * each));
      }
      continue;
    }
    const std::size_t heads = static_cast<std::size_t>(model::permuted_heads(config.architecture, p.source, config));
    for (std::size_t r = 0; r < rows; ++r) {
      const std::size_t hf_row = heads > 0 ? model::permuted_source_row(r, rows / heads) : r;
      std::copy_n(stored.begin() + static_cast<std::ptrdiff_t>(r * cols), cols, hf.begin() + static_cast<std::ptrdiff_t>(hf_row * cols));
    }
    specs.push_back({p.source, DType::F32, source.find(p.source)->info->shape});
    values.push_back(std::move(hf));
  }
  SafetensorsWriter writer(out_dir / "model.safetensors", specs, {{"format", "pt"}});
  for (std::size_t i = 0; i < specs.size(); ++i) writer.write(specs[i].name, std::as_bytes(std::span(values[i])));
  writer.finish();
  fs::copy_file(source_dir / "config.json", out_dir / "config.json");
}

void expect_same_logits(const fs::path& source_dir, gguf::TypeChoice choice) {
  const test::ScratchDir dir;
  const ModelDirectory source(source_dir);
  gguf::GgufWriteOptions options;
  options.choice = choice;
  gguf::write_gguf_model(source, dir / "model.gguf", options);
  write_dequantized_checkpoint(source_dir, dir / "model.gguf", dir / "hf");

  const Model from_gguf = Model::load(dir / "model.gguf");
  const Model from_hf = Model::load(dir / "hf");
  ASSERT_EQ(from_gguf.vocab_size(), from_hf.vocab_size());
  std::vector<std::int32_t> tokens;
  for (std::int32_t i = 0; i < 40; ++i) tokens.push_back((i * 37 + 5) % static_cast<std::int32_t>(from_hf.vocab_size()));
  const auto a = from_gguf.forward(tokens), b = from_hf.forward(tokens);
  ASSERT_EQ(a.size(), b.size());
  std::size_t differing = 0;
  for (std::size_t i = 0; i < a.size(); ++i) differing += a[i] != b[i];
  EXPECT_EQ(differing, 0u) << "of " << a.size() << " logits";
}

TEST(GgufModel, Stories260kQ4KMEvaluatesAsItsDequantizedCheckpoint) {
  expect_same_logits(test::shared_path("models/stories260k"), {gguf::Preset::Q4_K_M, false, {}});
}

TEST(GgufModel, Qwen3TinyQ3KEvaluatesAsItsDequantizedCheckpoint) {
  expect_same_logits(test::source_dir() / "models/qwen3-tiny-5.8m", {gguf::Preset::Q3_K_M, true, {}});
}

// MoE: stacked experts cut back into per-expert matrices, the router kept F32, Mixtral's
// q/k permuted (llama), the 8-expert recipe rules (attn_k/attn_v Q8_0).
TEST(GgufModel, MixtralQ4KMEvaluatesAsItsDequantizedCheckpoint) {
  expect_same_logits(test::shared_path("models/moe-tiny-mixtral"), {gguf::Preset::Q4_K_M, false, {}});
}

TEST(GgufModel, Qwen3MoeQ3KEvaluatesAsItsDequantizedCheckpoint) {
  expect_same_logits(test::shared_path("models/moe-tiny-qwen3-all-sparse"), {gguf::Preset::Q3_K_M, true, {}});
}

// An F32 GGUF of a bf16 MoE checkpoint holds the same values; its logits and every expert
// pick must be the HF directory's within float tolerance (the ggml F32 and bf16 matrix
// kernels sum in another order).
void expect_f32_gguf_matches_hf(const fs::path& source_dir) {
  const test::ScratchDir dir;
  gguf::GgufWriteOptions options;
  options.choice = {gguf::Preset::F32, true, {}};
  gguf::write_gguf_model(ModelDirectory(source_dir), dir / "model.gguf", options);
  const Model from_gguf = Model::load(dir / "model.gguf");
  const Model from_hf = Model::load(source_dir);
  ASSERT_TRUE(from_gguf.config().is_moe());
  EXPECT_EQ(from_gguf.config().moe.num_experts, from_hf.config().moe.num_experts);
  EXPECT_EQ(from_gguf.config().moe.experts_per_token, from_hf.config().moe.experts_per_token);
  EXPECT_EQ(from_gguf.config().moe.expert_intermediate_size, from_hf.config().moe.expert_intermediate_size);
  std::vector<std::int32_t> tokens;
  for (std::int32_t i = 0; i < 48; ++i) tokens.push_back((i * 53 + 11) % static_cast<std::int32_t>(from_hf.vocab_size()));
  std::vector<LayerRouting> routing_gguf, routing_hf;
  const auto a = from_gguf.forward(tokens, nullptr, &routing_gguf), b = from_hf.forward(tokens, nullptr, &routing_hf);
  ASSERT_EQ(a.size(), b.size());
  float worst = 0.0f;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  EXPECT_LT(worst, 1e-4f);
  ASSERT_EQ(routing_gguf.size(), routing_hf.size());
  for (std::size_t l = 0; l < routing_hf.size(); ++l) EXPECT_EQ(routing_gguf[l].experts, routing_hf[l].experts) << "layer " << l;
}

TEST(GgufModel, MixtralF32GgufMatchesTheHfDirectory) { expect_f32_gguf_matches_hf(test::shared_path("models/moe-tiny-mixtral")); }

TEST(GgufModel, Qwen3MoeF32GgufMatchesTheHfDirectory) {
  expect_f32_gguf_matches_hf(test::shared_path("models/moe-tiny-qwen3-all-sparse"));
}

TEST(GgufModel, LlamaSynthF32GgufEqualsTheHfCheckpointExactly) {
  SWAN_REQUIRE_FIXTURE(gguf_goldens, "golden/gguf/README.md");
  (void)gguf_goldens;
  // No quantization: the GGUF's permuted q/k rows must read back as the HF checkpoint's.
  const test::ScratchDir dir;
  const auto hf = test::shared_path("golden/gguf/llama-synth/hf");
  const Model from_gguf = Model::load(test::shared_path("golden/gguf/llama-synth/llama-synth-F32.gguf"));
  const Model from_hf = Model::load(hf);
  const std::vector<std::int32_t> tokens{1, 400, 32, 77, 300, 9, 511, 2};
  EXPECT_EQ(from_gguf.forward(tokens), from_hf.forward(tokens));
}

}  // namespace
}  // namespace swan::inference
