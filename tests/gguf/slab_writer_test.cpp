// The GGUF writer produces large tensors a slab of rows at a time into pooled buffers
// (GgufWriteOptions::slab_bytes). The bytes must not depend on the slab: a file written with
// slabs of a few rows (not dividing the tensors' row counts, every tensor split, 1-D ones
// too, stacked experts split inside each expert) is byte-identical to the one written with
// every tensor in one slab. (model_writer_golden_test compares small slabs with
// llama-quantize's own files when the shared goldens are present.)
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "support/fixtures.h"
#include "swan/gguf/model_writer.h"

namespace swan::gguf {
namespace {

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::string written(const test::ScratchDir& dir, const std::string& model, Preset preset, std::size_t slab_bytes) {
  GgufWriteOptions options;
  options.choice = {preset, false, {}};
  options.name = "slabs";
  options.slab_bytes = slab_bytes;
  const auto out = dir / (model.substr(model.rfind('/') + 1) + "-" + std::string(preset_name(preset)) + "-" +
                          std::to_string(slab_bytes) + ".gguf");
  write_gguf_model(ModelDirectory(test::shared_path(model)), out, options);
  return read_all(out);
}

TEST(GgufSlabs, SmallSlabsWriteTheSameBytesAsOneSlabPerTensor) {
  const test::ScratchDir dir;
  for (const std::string model : {"models/qwen3-tiny-5.8m", "models/moe-tiny-qwen3-all-sparse"}) {
    for (const Preset preset : {Preset::Q4_K_M, Preset::Q8_0}) {
      const std::string whole = written(dir, model, preset, std::size_t{1} << 30);
      ASSERT_GT(whole.size(), 100000u) << model;
      // 1000 bytes: 6 rows of a 256-wide Q4_K tensor, 4 of Q6_K, 250 of a 1-D F32 norm.
      EXPECT_TRUE(written(dir, model, preset, 1000) == whole) << model << " " << preset_name(preset);
      EXPECT_TRUE(written(dir, model, preset, 4096 * 3 + 17) == whole) << model << " " << preset_name(preset);
    }
  }
}

TEST(GgufSlabs, ASlabSmallerThanOneRowIsRefused) {
  const test::ScratchDir dir;
  EXPECT_ANY_THROW(written(dir, "models/qwen3-tiny-5.8m", Preset::Q4_K_M, 100));  // a Q4_K row is 144 bytes
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));  // and nothing is left behind
}

}  // namespace
}  // namespace swan::gguf
