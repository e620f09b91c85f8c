// Mixture-of-experts GGUF output: the tensor set, shapes and keys llama.cpp's loaders need
// (Mixtral as llama with experts, Qwen3-MoE as qwen3moe; src/llama-arch.cpp,
// src/models/{llama,qwen3moe}.cpp), expert bytes equal to each HF expert quantized alone,
// routers F32 under every preset, type and budget, llama-quantize's 8-expert rules worked by
// hand from src/llama-quant.cpp and byte-identical to llama-quantize's own Q4_K_M
// (golden/gguf-moe), and the Qwen3-MoE forms llama.cpp cannot compute refused.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "support/fixtures.h"
#include "swan/core/error.h"
#include "swan/gguf/budget.h"
#include "swan/gguf/inspect.h"
#include "swan/gguf/model_writer.h"
#include "swan/gguf/reader.h"
#include "swan/quant/ggml_quantize.h"

namespace swan::gguf {
namespace {

using quant::GgmlType;

std::filesystem::path mixtral() { return test::shared_path("models/moe-tiny-mixtral"); }
std::filesystem::path qwen3_sparse() { return test::shared_path("models/moe-tiny-qwen3-all-sparse"); }

std::filesystem::path write(const test::ScratchDir& dir, const std::filesystem::path& model, TypeChoice choice) {
  static int files = 0;
  GgufWriteOptions options;
  options.choice = std::move(choice);
  const auto out = dir / ("moe-" + std::to_string(++files) + ".gguf");
  write_gguf_model(ModelDirectory(model), out, options);
  return out;
}

GgmlType type_of(const GgufFile& file, const std::string& name) {
  const TensorRecord* t = file.find(name);
  if (t == nullptr) throw std::runtime_error("no tensor " + name);
  return t->type;
}

TEST(MoeGguf, MixtralIsLlamaWithStackedExpertsAndF32Routers) {
  const test::ScratchDir dir;
  const GgufFile file(write(dir, mixtral(), {Preset::Q8_0, true, {}}));
  const Metadata& m = file.metadata();
  EXPECT_EQ(m.get_string("general.architecture"), "llama");
  EXPECT_EQ(m.get_u32("llama.expert_count"), 8u);
  EXPECT_EQ(m.get_u32("llama.expert_used_count"), 2u);
  EXPECT_EQ(m.get_u32("llama.feed_forward_length"), 192u);  // llama's experts are feed_forward_length wide
  EXPECT_EQ(m.find("llama.expert_feed_forward_length"), nullptr);
  // The converter's label: 8 x (shared 232,064 + one expert of each projection 147,456).
  EXPECT_EQ(m.get_string("general.size_label"), "8x380K");
  for (int layer = 0; layer < 2; ++layer) {
    const std::string p = "blk." + std::to_string(layer) + ".";
    EXPECT_EQ(file.find(p + "ffn_gate.weight"), nullptr);
    ASSERT_NE(file.find(p + "ffn_gate_inp.weight"), nullptr);
    EXPECT_EQ(file.find(p + "ffn_gate_inp.weight")->ne, (std::vector<std::uint64_t>{128, 8}));
    EXPECT_EQ(type_of(file, p + "ffn_gate_inp.weight"), GgmlType::F32);
    EXPECT_EQ(file.find(p + "ffn_gate_exps.weight")->ne, (std::vector<std::uint64_t>{128, 192, 8}));
    EXPECT_EQ(file.find(p + "ffn_up_exps.weight")->ne, (std::vector<std::uint64_t>{128, 192, 8}));
    EXPECT_EQ(file.find(p + "ffn_down_exps.weight")->ne, (std::vector<std::uint64_t>{192, 128, 8}));
  }
  EXPECT_TRUE(inspect_gguf(file.path()).ok());
}

TEST(MoeGguf, EachExpertSliceIsThatExpertQuantizedAlone) {
  const test::ScratchDir dir;
  const GgufFile file(write(dir, mixtral(), {Preset::Q8_0, true, {}}));
  const ModelDirectory source(mixtral());
  // Mixtral's w2 is the down projection [hidden 128, inner 192].
  const TensorRecord& down = *file.find("blk.1.ffn_down_exps.weight");
  const auto stacked = file.data(down);
  const std::size_t each = stacked.size() / 8;
  for (int e = 0; e < 8; ++e) {
    const auto values = source.read_float(*source.find("model.layers.1.block_sparse_moe.experts." + std::to_string(e) + ".w2.weight"));
    std::vector<std::byte> expected(quant::bytes_for(GgmlType::Q8_0, 192) * 128);
    quant::quantize_rows(GgmlType::Q8_0, values, 128, 192, expected, 1);
    ASSERT_EQ(expected.size(), each);
    EXPECT_EQ(std::memcmp(expected.data(), stacked.data() + e * each, each), 0) << "expert " << e;
  }
}

TEST(MoeGguf, Qwen3MoeKeysAndTensors) {
  const test::ScratchDir dir;
  const GgufFile file(write(dir, qwen3_sparse(), {Preset::F16, true, {}}));
  const Metadata& m = file.metadata();
  EXPECT_EQ(m.get_string("general.architecture"), "qwen3moe");
  EXPECT_EQ(m.get_u32("qwen3moe.expert_count"), 8u);
  EXPECT_EQ(m.get_u32("qwen3moe.expert_used_count"), 2u);
  EXPECT_EQ(m.get_u32("qwen3moe.expert_feed_forward_length"), 128u);  // moe_intermediate_size
  EXPECT_EQ(m.get_string("tokenizer.ggml.pre"), "qwen2");
  EXPECT_EQ(file.find("blk.1.ffn_gate_exps.weight")->ne, (std::vector<std::uint64_t>{64, 128, 8}));
  EXPECT_EQ(file.find("blk.1.ffn_down_exps.weight")->ne, (std::vector<std::uint64_t>{128, 64, 8}));
  EXPECT_EQ(type_of(file, "blk.1.ffn_gate_inp.weight"), GgmlType::F32);
  EXPECT_EQ(type_of(file, "blk.1.ffn_up_exps.weight"), GgmlType::F16);
  ASSERT_NE(file.find("blk.1.attn_q_norm.weight"), nullptr);
  const auto report = inspect_gguf(file.path());
  EXPECT_TRUE(report.ok()) << (report.violations.empty() ? "" : report.violations.front());
}

// llama-quantize's Q4_K_M for an 8-expert model (src/llama-quant.cpp), worked by hand for
// moe-tiny-mixtral (2 layers; rows of 128 and 192 elements, so every K type falls back):
// attn_v and attn_k Q8_0 ("for the 8-expert model"), attn_output Q5_K -> Q5_1, attn_q Q4_K
// -> Q5_0, ffn_down_exps Q6_K in layer 1 (use_more_bits: layer >= 7*2/8) -> Q8_0 and Q4_K
// in layer 0 -> Q5_0, gate/up experts Q4_K -> Q5_0, output Q8_0 (rows not of 256), routers F32.
TEST(MoeGguf, MixtralQ4KMFollowsTheEightExpertRecipe) {
  const test::ScratchDir dir;
  const GgufFile file(write(dir, mixtral(), {Preset::Q4_K_M, false, {}}));
  for (const char* layer : {"blk.0.", "blk.1."}) {
    const std::string p = layer;
    EXPECT_EQ(type_of(file, p + "attn_v.weight"), GgmlType::Q8_0);
    EXPECT_EQ(type_of(file, p + "attn_k.weight"), GgmlType::Q8_0);
    EXPECT_EQ(type_of(file, p + "attn_output.weight"), GgmlType::Q5_1);
    EXPECT_EQ(type_of(file, p + "attn_q.weight"), GgmlType::Q5_0);
    EXPECT_EQ(type_of(file, p + "ffn_gate_exps.weight"), GgmlType::Q5_0);
    EXPECT_EQ(type_of(file, p + "ffn_up_exps.weight"), GgmlType::Q5_0);
    EXPECT_EQ(type_of(file, p + "ffn_gate_inp.weight"), GgmlType::F32);
  }
  EXPECT_EQ(type_of(file, "blk.0.ffn_down_exps.weight"), GgmlType::Q5_0);
  EXPECT_EQ(type_of(file, "blk.1.ffn_down_exps.weight"), GgmlType::Q8_0);
  EXPECT_EQ(type_of(file, "output.weight"), GgmlType::Q8_0);
  EXPECT_EQ(type_of(file, "token_embd.weight"), GgmlType::Q5_0);
}

TEST(MoeGguf, BudgetPlansExpertsAndKeepsRoutersF32) {
  for (const auto& model : {mixtral(), qwen3_sparse()}) {
    SCOPED_TRACE(model.filename().string());
    const ModelDirectory source(model);
    const auto space = budget_space(source);
    for (const auto& t : space.tensors) {
      EXPECT_EQ(t.name.find("ffn_gate_inp"), std::string::npos) << "a router is not the planner's to choose";
      if (t.name.find("_exps.") != std::string::npos) {
        EXPECT_EQ(t.expert_sources.size(), 8u) << t.name;
        EXPECT_TRUE(model::is_expert_role(t.role)) << t.name;
      }
    }
    const auto plan = plan_gguf_budget(source, space, {5.5, std::nullopt});
    EXPECT_LE(plan.bits_per_weight(), 5.5);  // rows of 64-192 allow only legacy types: >= 4.55
    EXPECT_GE(plan.bits_per_weight(), 0.99 * 5.5);
    const test::ScratchDir dir;
    const auto out = write(dir, model, plan.choice);
    const GgufFile file(out);
    std::uint64_t bytes = 0;
    for (const auto& t : file.tensors()) {
      bytes += t.nbytes();
      if (t.name.find("ffn_gate_inp") != std::string::npos) {
        EXPECT_EQ(t.type, GgmlType::F32) << t.name;
      }
    }
    EXPECT_EQ(bytes, plan.tensor_bytes);
    EXPECT_TRUE(inspect_gguf(out).ok());
  }
}

std::vector<char> read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// tests/fixtures/golden/gguf-moe: llama-quantize's own Q4_K_M of swan's F32 file.
TEST(MoeGguf, Q4KMIsByteIdenticalToLlamaQuantize) {
  const std::pair<std::filesystem::path, std::string> cases[] = {
      {mixtral(), "golden/gguf-moe/moe-tiny-mixtral-Q4_K_M.gguf"},
      {qwen3_sparse(), "golden/gguf-moe/moe-tiny-qwen3-all-sparse-Q4_K_M.gguf"}};
  for (const auto& [model, golden] : cases) {
    SCOPED_TRACE(golden);
    const test::ScratchDir dir;
    const auto ours = read_all(write(dir, model, {Preset::Q4_K_M, false, {}}));
    const auto theirs = read_all(test::shared_path(golden));
    ASSERT_EQ(ours.size(), theirs.size());
    EXPECT_TRUE(ours == theirs);
  }
}

void expect_refused(const std::filesystem::path& model, const std::string& needle) {
  const test::ScratchDir dir;
  try {
    write(dir, model, {Preset::F16, true, {}});
    ADD_FAILURE() << "written: " << model;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(MoeGguf, RefusesQwen3MoeFormsLlamaCppCannotCompute) {
  // moe-tiny-qwen3 has a dense layer 1 (mlp_only_layers [1]).
  expect_refused(test::shared_path("models/moe-tiny-qwen3"), "layer 1 is a dense MLP");
  // norm_topk_prob false: llama.cpp's qwen3moe would renormalise anyway.
  const test::ScratchDir copy;
  for (const auto& entry : std::filesystem::directory_iterator(qwen3_sparse()))
    std::filesystem::copy_file(entry.path(), copy / entry.path().filename().string());
  std::ifstream in(qwen3_sparse() / "config.json");
  std::string config((std::istreambuf_iterator<char>(in)), {});
  const std::string from = "\"norm_topk_prob\": true";
  ASSERT_NE(config.find(from), std::string::npos);
  config.replace(config.find(from), from.size(), "\"norm_topk_prob\": false");
  std::filesystem::remove(copy / "config.json");
  std::ofstream(copy / "config.json") << config;
  expect_refused(copy.path(), "norm_topk_prob is false");
}

}  // namespace
}  // namespace swan::gguf
