// Model::forward against independent references: the float32 golden logits and greedy
// continuation of qwen3-tiny-5.8m (computed by the fixture's own PyTorch reference), and
// stories260k's greedy decode from BOS, which reproduces the text llama2.c's test expects.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "support/fixtures.h"
#include "swan/core/error.h"
#include "swan/inference/model.h"
#include "swan/io/safetensors.h"

namespace swan::inference {
namespace {

std::vector<std::int32_t> read_ids(const SafetensorsFile& file, const std::string& name) {
  const TensorInfo& info = file.at(name);
  EXPECT_EQ(info.dtype, DType::I32) << name;
  std::vector<std::int32_t> ids(static_cast<std::size_t>(info.num_elements()));
  std::memcpy(ids.data(), file.data(info).data(), ids.size() * sizeof(std::int32_t));
  return ids;
}

std::int32_t argmax_row(const std::vector<float>& logits, std::size_t row, std::size_t vocab) {
  const float* begin = logits.data() + row * vocab;
  return static_cast<std::int32_t>(std::max_element(begin, begin + vocab) - begin);
}

std::vector<std::int32_t> greedy(const Model& model, std::vector<std::int32_t> tokens, std::size_t steps) {
  std::vector<std::int32_t> generated;
  for (std::size_t i = 0; i < steps; ++i) {
    const auto logits = model.forward(tokens);
    generated.push_back(argmax_row(logits, tokens.size() - 1, model.vocab_size()));
    tokens.push_back(generated.back());
  }
  return generated;
}

class Qwen3TinyGolden : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { model_ = new Model(Model::load(test::shared_path("models/qwen3-tiny-5.8m"))); }
  static void TearDownTestSuite() { delete model_; }
  static Model* model_;
  SafetensorsFile golden_{test::shared_path("golden/qwen3-tiny-5.8m/logits.safetensors")};
};
Model* Qwen3TinyGolden::model_ = nullptr;

TEST_F(Qwen3TinyGolden, ConfigIsQwen3WithTiedQuantizableWeights) {
  EXPECT_EQ(model_->config().architecture, model::Architecture::Qwen3);
  EXPECT_FALSE(model_->is_quantized());
  EXPECT_FALSE(model_->weights().lm_head.has_value());  // tied: the head is embed_tokens
  EXPECT_EQ(model_->weights().embed_tokens.dtype(), DType::BF16);  // kept as stored
}

TEST_F(Qwen3TinyGolden, LastFourLogitsMatchFloat32Reference) {
  const std::size_t vocab = model_->vocab_size();
  for (int text = 0; text < 3; ++text) {
    const auto ids = read_ids(golden_, fmt::format("text{}.ids", text));
    const TensorInfo& info = golden_.at(fmt::format("text{}.logits_last4", text));
    const std::vector<float> expected = golden_.read_float(info);
    ASSERT_EQ(expected.size(), 4 * vocab);
    const std::vector<float> logits = model_->forward(ids);
    ASSERT_EQ(logits.size(), ids.size() * vocab);
    float max_diff = 0.0f;
    for (std::size_t row = 0; row < 4; ++row)
      for (std::size_t j = 0; j < vocab; ++j)
        max_diff = std::max(max_diff, std::abs(logits[(ids.size() - 4 + row) * vocab + j] - expected[row * vocab + j]));
    EXPECT_LT(max_diff, 1e-4f) << "text " << text;
    RecordProperty(fmt::format("text{}_max_abs_diff", text), fmt::format("{:.3g}", max_diff));
    std::printf("text%d: max |logit - golden| = %.3g over the last 4 positions\n", text, max_diff);
  }
}

TEST_F(Qwen3TinyGolden, GreedyContinuationMatches) {
  const auto prompt = read_ids(golden_, "greedy.prompt_ids");
  const auto expected = read_ids(golden_, "greedy.generated_ids");
  EXPECT_EQ(greedy(*model_, prompt, expected.size()), expected);
}

TEST_F(Qwen3TinyGolden, RejectsTokensOutsideTheVocabulary) {
  const std::vector<std::int32_t> bad{1, 4096};
  EXPECT_THROW(model_->forward(bad), Error);
  const std::vector<std::int32_t> negative{-1};
  EXPECT_THROW(model_->forward(negative), Error);
}

// README of shared/models/stories260k: "Once upon a time, there was a little girl named
// Lily." encodes to these ids, and a greedy decode from BOS starts with that sentence.
TEST(Stories260k, GreedyDecodeFromBosStartsWithTheReferenceSentence) {
  const std::vector<std::int32_t> sentence{403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426};
  for (const char* dir : {"models/stories260k", "models/stories260k-bf16"}) {
    const Model model = Model::load(test::shared_path(dir));
    EXPECT_EQ(model.config().architecture, model::Architecture::Llama);
    EXPECT_EQ(greedy(model, {1}, sentence.size()), sentence) << dir;
  }
}

}  // namespace
}  // namespace swan::inference
