#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "support/fixtures.h"
#include "swan/core/error.h"
#include "swan/core/float_formats.h"
#include "swan/io/model_directory.h"
#include "swan/io/safetensors.h"
#include "swan/io/safetensors_writer.h"

namespace swan {
namespace {

std::span<const std::byte> as_bytes_of(const std::vector<float>& v) { return std::as_bytes(std::span(v)); }

TEST(SafetensorsWriter, RoundTripsThroughTheReader) {
  test::ScratchDir scratch;
  const auto path = scratch / "out.safetensors";
  const std::vector<float> a = {1.5f, -2.0f, 3.25f, 0.0f, 7.0f, -0.5f};
  std::vector<std::uint16_t> b = {float_to_bf16(1.0f), float_to_bf16(-3.5f), float_to_bf16(0.1f)};
  const std::vector<std::uint32_t> c = {0xdeadbeef, 7};
  {
    SafetensorsWriter writer(path,
                             {{"a", DType::F32, {2, 3}}, {"b", DType::BF16, {3}}, {"c", DType::U32, {1, 2}}},
                             {{"format", "mlx"}});
    writer.write("a", as_bytes_of(a));
    writer.write("b", std::as_bytes(std::span(b)));
    writer.write("c", std::as_bytes(std::span(c)));
    writer.finish();
  }
  SafetensorsFile file(path);
  EXPECT_EQ(file.metadata().at("format"), "mlx");
  EXPECT_EQ(file.read_float(file.at("a")), a);
  const auto b_float = file.read_float(file.at("b"));
  EXPECT_EQ(b_float[1], -3.5f);
  EXPECT_EQ(b_float[2], bf16_to_float(float_to_bf16(0.1f)));
  const auto c_bytes = file.data(file.at("c"));
  std::uint32_t first;
  std::memcpy(&first, c_bytes.data(), 4);
  EXPECT_EQ(first, 0xdeadbeefu);
  EXPECT_THROW(file.read_float(file.at("c")), Error);  // U32 is never read as numbers
  EXPECT_EQ(file.find("missing"), nullptr);
  // Data starts 8-byte aligned.
  std::ifstream in(path, std::ios::binary);
  std::uint64_t header_length = 0;
  in.read(reinterpret_cast<char*>(&header_length), 8);
  EXPECT_EQ(header_length % 8, 0u);
}

TEST(SafetensorsWriter, RefusesWrongOrderAndMissingTensors) {
  test::ScratchDir scratch;
  const std::vector<float> a = {1, 2};
  SafetensorsWriter writer(scratch / "x.safetensors", {{"a", DType::F32, {2}}, {"b", DType::F32, {2}}}, {});
  EXPECT_THROW(writer.write("b", as_bytes_of(a)), Error);
  writer.write("a", as_bytes_of(a));
  EXPECT_THROW(writer.finish(), Error);
}

TEST(SafetensorsWriter, ReportsAFullDisk) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  const std::vector<float> big(1 << 20, 1.0f);
  try {
    SafetensorsWriter writer("/dev/full", {{"a", DType::F32, {1 << 20}}}, {});
    writer.write("a", as_bytes_of(big));
    writer.finish();
    FAIL() << "writing to /dev/full succeeded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/dev/full"), std::string::npos) << e.what();
  }
}

TEST(ModelDirectory, ReadsIndexedSingleShardModel) {
  ModelDirectory model(test::shared_path("models/stories260k"));
  EXPECT_TRUE(model.has_config());
  EXPECT_TRUE(model.has_index());
  EXPECT_EQ(model.tensors().size(), 47u);
  const ModelTensor* embed = model.find("model.embed_tokens.weight");
  ASSERT_NE(embed, nullptr);
  EXPECT_EQ(embed->info->shape, (std::vector<std::int64_t>{512, 64}));
  EXPECT_EQ(model.read_float(*embed).size(), 512u * 64u);
}

TEST(ModelDirectory, ReadsTwoShardsInSortedOrderWithoutConfig) {
  ModelDirectory model(test::shared_path("models/swan-edge-cases"));
  EXPECT_FALSE(model.has_config());
  EXPECT_THROW(model.config(), Error);
  ASSERT_EQ(model.shards().size(), 2u);
  EXPECT_EQ(model.shard_name(0), "model-00001-of-00002.safetensors");
  std::size_t last_shard = 0;
  for (const auto& tensor : model.tensors()) {  // shards are visited in order
    EXPECT_GE(tensor.shard, last_shard);
    last_shard = tensor.shard;
  }
}

TEST(ModelDirectory, AcceptsShardsWithoutIndex) {
  test::ScratchDir scratch;
  for (const char* name : {"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"})
    std::filesystem::copy_file(test::shared_path("models/swan-edge-cases") / name, scratch / name);
  ModelDirectory indexed(test::shared_path("models/swan-edge-cases"));
  ModelDirectory unindexed(scratch.path());
  EXPECT_FALSE(unindexed.has_index());
  EXPECT_EQ(unindexed.tensors().size(), indexed.tensors().size());
}

TEST(ModelDirectory, ReportsMissingShardAndEmptyDirectory) {
  test::ScratchDir scratch;
  EXPECT_THROW(ModelDirectory{scratch.path()}, Error);
  std::ofstream(scratch / "model.safetensors.index.json") << R"({"weight_map":{"w":"model-1.safetensors"}})";
  try {
    ModelDirectory model(scratch.path());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ModelDirectory{scratch / "nope"}, Error);
}

TEST(ModelDirectory, ReportsMalformedConfig) {
  test::ScratchDir scratch;
  std::filesystem::copy_file(test::shared_path("models/stories260k/model.safetensors"), scratch / "model.safetensors");
  std::ofstream(scratch / "config.json") << "{\"hidden_size\": 64,";
  try {
    ModelDirectory model(scratch.path());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("config.json"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace swan
