// A forward pass resumed from a recorded residual stream (what measured sensitivity uses to
// skip the layers a probe does not change) must give exactly the full pass's logits: for
// every matrix of the model, perturbed after the recording, forward_from(its first layer)
// equals forward() of the perturbed model bit for bit — dense and MoE, tied and untied heads.
#include <gtest/gtest.h>

#include "support/fixtures.h"
#include "support/untied_head.h"
#include "swan/core/error.h"
#include "swan/inference/model.h"

namespace swan::inference {
namespace {

// A float32 copy of `m` with every value scaled by 1.25 (the probe's stand-in: any change
// the layers after it must see).
struct Perturbed {
  std::vector<float> values;
  WeightMatrix matrix;
};
Perturbed perturbed(const WeightMatrix& m) {
  Perturbed p;
  p.values.resize(m.rows() * m.cols());
  m.read_rows(0, m.rows(), p.values);
  for (float& v : p.values) v *= 1.25f;
  p.matrix = WeightMatrix::dense(m.name(), DType::F32, std::as_bytes(std::span(p.values)), m.rows(), m.cols());
  return p;
}

std::vector<std::string> matrix_names(const Model& model) {
  const ModelWeights& w = model.weights();
  std::vector<std::string> names{w.embed_tokens.name()};
  if (w.lm_head) names.push_back(w.lm_head->name());
  for (const auto& layer : w.layers)
    for (const WeightMatrix* m : {&layer.q, &layer.k, &layer.v, &layer.o, &layer.gate, &layer.up, &layer.down})
      if (!m->name().empty()) names.push_back(m->name());
  return names;
}

const WeightMatrix& find_matrix(const Model& model, const std::string& name) {
  const ModelWeights& w = model.weights();
  if (w.embed_tokens.name() == name) return w.embed_tokens;
  if (w.lm_head && w.lm_head->name() == name) return *w.lm_head;
  for (const auto& layer : w.layers)
    for (const WeightMatrix* m : {&layer.q, &layer.k, &layer.v, &layer.o, &layer.gate, &layer.up, &layer.down})
      if (m->name() == name) return *m;
  throw std::runtime_error("no matrix " + name);
}

void expect_resumed_passes_equal_full_ones(const std::filesystem::path& dir, std::span<const std::int32_t> tokens,
                                           std::size_t expected_matrices) {
  Model model = Model::load(dir);
  ResidualStream stream;
  const auto recorded = model.forward_recording(tokens, stream);
  ASSERT_EQ(recorded, model.forward(tokens));
  ASSERT_EQ(stream.entering.size(), model.weights().layers.size() + 1);
  // Nothing changed: resuming anywhere gives the same logits.
  for (std::size_t layer = 0; layer <= model.weights().layers.size(); ++layer)
    EXPECT_EQ(model.forward_from(tokens, layer, stream), recorded) << "layer " << layer;

  const auto names = matrix_names(model);
  ASSERT_EQ(names.size(), expected_matrices);
  for (const std::string& name : names) {
    Perturbed p = perturbed(find_matrix(model, name));
    WeightMatrix original = model.swap_weight(name, p.matrix);
    const auto full = model.forward(tokens);
    const std::size_t first = model.first_layer_reading(name);
    EXPECT_NE(full, recorded) << name << ": the perturbation must show in the logits";
    EXPECT_EQ(model.forward_from(tokens, first, stream), full) << name << " resumed at layer " << first;
    if (first < model.weights().layers.size())  // a layer late misses the change: a wrong layer would show
      EXPECT_NE(model.forward_from(tokens, first + 1, stream), full) << name;
    model.swap_weight(name, std::move(original));
  }
  EXPECT_EQ(model.forward(tokens), recorded);  // every weight back in place
}

TEST(ResidualStream, ResumedPassEqualsFullPassTiedLlama) {
  const std::vector<std::int32_t> tokens{1, 403, 407, 261, 378, 432, 383, 17, 90};
  expect_resumed_passes_equal_full_ones(test::shared_path("models/stories260k"), tokens, 1 + 5 * 7);
}

TEST(ResidualStream, ResumedPassEqualsFullPassUntiedHead) {
  // stories260k with its own lm_head (= 0.5 x the embedding): the head is read only by the logits.
  test::ScratchDir dir;
  test::write_stories260k_with_head(dir.path(), 0.5f, false);

  const Model model = Model::load(dir.path());
  EXPECT_EQ(model.first_layer_reading("lm_head.weight"), model.weights().layers.size());
  const std::vector<std::int32_t> tokens{1, 403, 407, 261, 378, 432, 383};
  expect_resumed_passes_equal_full_ones(dir.path(), tokens, 2 + 5 * 7);
}

TEST(ResidualStream, ResumedPassEqualsFullPassMoe) {
  // Layers alternate dense and MoE here only if the config says so; either way the MoE
  // block runs outside the team and must be recorded and resumed like the rest.
  const Model model = Model::load(test::shared_path("models/moe-tiny-qwen3"));
  std::vector<std::int32_t> tokens;
  for (std::int32_t t = 0; t < 11; ++t) tokens.push_back((t * 37 + 5) % static_cast<std::int32_t>(model.vocab_size()));
  ResidualStream stream;
  const auto recorded = model.forward_recording(tokens, stream);
  EXPECT_EQ(recorded, model.forward(tokens));
  for (std::size_t layer = 0; layer <= model.weights().layers.size(); ++layer)
    EXPECT_EQ(model.forward_from(tokens, layer, stream), recorded) << "layer " << layer;
}

TEST(ResidualStream, ResumingFromAStreamOfOtherTokensIsAnError) {
  const Model model = Model::load(test::shared_path("models/stories260k"));
  const std::vector<std::int32_t> tokens{1, 403, 407};
  ResidualStream stream;
  model.forward_recording(tokens, stream);
  const std::vector<std::int32_t> longer{1, 403, 407, 261};
  EXPECT_THROW(model.forward_from(longer, 1, stream), Error);
  EXPECT_THROW(model.forward_from(tokens, model.weights().layers.size() + 1, stream), Error);
  EXPECT_THROW(model.first_layer_reading("model.layers.0.no_such.weight"), Error);
}

}  // namespace
}  // namespace swan::inference
