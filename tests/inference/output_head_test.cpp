// Which output projection a checkpoint gets: stories260k re-written with an extra
// lm_head.weight = 2 x embed_tokens, so an untied head must give exactly twice the tied
// logits (scaling by 2 is exact in every product and sum).
#include <gtest/gtest.h>

#include <fstream>

#include "support/fixtures.h"
#include "swan/inference/model.h"
#include "swan/core/error.h"
#include "swan/io/safetensors_writer.h"

#include <cstring>

namespace swan::inference {
namespace {

// Copies stories260k (float32) into `out`, adding lm_head.weight = 2 * embed_tokens and
// setting (or, for nullopt, removing) tie_word_embeddings.
void write_with_head(const std::filesystem::path& out, std::optional<bool> tie) {
  const ModelDirectory source(test::shared_path("models/stories260k"));
  std::vector<TensorSpec> specs;
  std::vector<std::vector<std::byte>> blobs;
  for (const ModelTensor& t : source.tensors()) {
    specs.push_back({t.name(), t.info->dtype, t.info->shape});
    const auto bytes = source.file(t).data(*t.info);
    blobs.emplace_back(bytes.begin(), bytes.end());
    if (t.name() == "model.embed_tokens.weight") {
      std::vector<float> doubled = source.read_float(t);
      for (float& w : doubled) w *= 2.0f;
      specs.push_back({"lm_head.weight", DType::F32, t.info->shape});
      blobs.emplace_back(doubled.size() * 4);
      std::memcpy(blobs.back().data(), doubled.data(), doubled.size() * 4);
    }
  }
  SafetensorsWriter writer(out / "model.safetensors", specs, {{"format", "pt"}});
  for (std::size_t i = 0; i < specs.size(); ++i) writer.write(specs[i].name, blobs[i]);
  writer.finish();
  auto config = source.config();
  if (tie) {
    config["tie_word_embeddings"] = *tie;
  } else {
    config.erase("tie_word_embeddings");
  }
  std::ofstream(out / "config.json") << config.dump();
}

TEST(OutputHead, TiedUntiedAndUnstatedHeads) {
  const std::vector<std::int32_t> tokens{1, 403, 407, 261, 378, 432, 383};
  const auto tied = Model::load(test::shared_path("models/stories260k")).forward(tokens);

  test::ScratchDir explicit_tie, untied, unstated;
  write_with_head(explicit_tie.path(), true);
  write_with_head(untied.path(), false);
  write_with_head(unstated.path(), std::nullopt);

  // Stated as tied: lm_head.weight is ignored (mlx_lm's sanitize drops it).
  EXPECT_EQ(Model::load(explicit_tie.path()).forward(tokens), tied);
  // Untied, or not stated while the checkpoint carries its own head: the head is used.
  for (const auto* dir : {&untied, &unstated}) {
    const Model model = Model::load(dir->path());
    ASSERT_TRUE(model.weights().lm_head.has_value());
    const auto logits = model.forward(tokens);
    ASSERT_EQ(logits.size(), tied.size());
    for (std::size_t i = 0; i < logits.size(); ++i) ASSERT_EQ(logits[i], 2.0f * tied[i]) << i;
  }
}

TEST(OutputHead, UntiedConfigWithoutLmHeadNamesTheMissingTensor) {
  test::ScratchDir dir;
  const ModelDirectory source(test::shared_path("models/stories260k"));
  std::filesystem::copy_file(source.path() / "model.safetensors", dir / "model.safetensors");
  auto config = source.config();
  config["tie_word_embeddings"] = false;
  std::ofstream(dir / "config.json") << config.dump();
  try {
    Model::load(dir.path());
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("lm_head.weight"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace swan::inference
