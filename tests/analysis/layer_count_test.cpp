// count_layers reads layer numbers out of untrusted tensor names.
#include <gtest/gtest.h>

#include <vector>

#include "support/fixtures.h"
#include "swan/analysis/analyzer.h"
#include "swan/core/error.h"
#include "swan/io/model_directory.h"
#include "swan/io/safetensors_writer.h"

namespace swan::analysis {
namespace {

void write_model(const std::filesystem::path& dir, const std::vector<std::string>& names) {
  std::vector<TensorSpec> specs;
  for (const auto& name : names) specs.push_back({name, DType::F32, {1}});
  SafetensorsWriter writer(dir / "model.safetensors", specs, {});
  const float value = 0.0f;
  for (const auto& name : names) writer.write(name, std::as_bytes(std::span(&value, 1)));
  writer.finish();
}

TEST(CountLayers, IsOnePastTheHighestLayerNumber) {
  test::ScratchDir scratch;
  write_model(scratch.path(), {"model.layers.0.a.weight", "model.layers.11.b.weight", "model.norm.weight"});
  EXPECT_EQ(count_layers(ModelDirectory(scratch.path())), 12);
}

TEST(CountLayers, ALayerNumberBeyondAnyModelIsAnErrorNotAnOverflow) {
  for (const char* name : {"model.layers.1000001.a.weight", "model.layers.99999999999999999999.a.weight"}) {
    test::ScratchDir scratch;
    write_model(scratch.path(), {"model.layers.0.a.weight", name});
    try {
      count_layers(ModelDirectory(scratch.path()));
      ADD_FAILURE() << "accepted " << name;
    } catch (const Error& error) {
      EXPECT_NE(std::string(error.what()).find("layer number"), std::string::npos) << error.what();
    }
  }
}

}  // namespace
}  // namespace swan::analysis
