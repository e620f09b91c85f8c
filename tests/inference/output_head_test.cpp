// Which output projection a checkpoint gets: stories260k re-written with an extra
// lm_head.weight = 2 x embed_tokens, so an untied head must give exactly twice the tied
// logits (scaling by 2 is exact in every product and sum).
#include <gtest/gtest.h>

#include <fstream>

#include "support/fixtures.h"
#include "support/untied_head.h"
#include "swan/inference/model.h"
#include "swan/core/error.h"
#include "swan/mlx/layout.h"
#include "swan/mlx/writer.h"
#include "swan/plan/builders.h"


namespace swan::inference {
namespace {

void write_with_head(const std::filesystem::path& out, std::optional<bool> tie) {
  test::write_stories260k_with_head(out, 2.0f, tie);
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

// One rule for convert and eval (model::decide_output_head): a head the config does not
// mention is kept by convert, recorded as untied for mlx_lm, and read back as the same model.
TEST(OutputHead, ConvertKeepsAnUnstatedHeadAndEvalReadsTheSameModel) {
  const std::vector<std::int32_t> tokens{1, 403, 407, 261, 378, 432, 383};
  test::ScratchDir unstated, out;
  write_with_head(unstated.path(), std::nullopt);
  const ModelDirectory source(unstated.path());
  mlx::write_mlx_model(source, plan::float_plan(mlx::quantizable_targets(source)), out / "mlx");
  const ModelDirectory written(out / "mlx");
  EXPECT_EQ(written.config().at("tie_word_embeddings"), false);
  ASSERT_NE(written.find("lm_head.weight"), nullptr);
  EXPECT_EQ(Model::load(out / "mlx").forward(tokens), Model::load(unstated.path()).forward(tokens));
  // Stated as tied, the stray head is dropped by convert and ignored by eval alike.
  test::ScratchDir tied, tied_out;
  write_with_head(tied.path(), true);
  const ModelDirectory tied_source(tied.path());
  mlx::write_mlx_model(tied_source, plan::float_plan(mlx::quantizable_targets(tied_source)), tied_out / "mlx");
  EXPECT_EQ(ModelDirectory(tied_out / "mlx").find("lm_head.weight"), nullptr);
  EXPECT_EQ(Model::load(tied_out / "mlx").forward(tokens), Model::load(tied.path()).forward(tokens));
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
  // convert refuses it the same way, before writing anything mlx_lm could not load.
  EXPECT_THROW(mlx::quantizable_targets(ModelDirectory(dir.path())), Error);
}

}  // namespace
}  // namespace swan::inference
