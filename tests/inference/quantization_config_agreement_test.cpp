// `swan inspect` and swan's inference read config.json's "quantization" entry through the
// one parser (model/mlx_quantization_config.h), so they agree: an entry inspect calls a
// violation is one Model::load refuses, and one inspect passes loads. Checked on copies of
// mlx_lm's own directories with single edits whose verdict the spec (§5.1-5.2) fixes.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>

#include "support/fixtures.h"
#include "swan/core/error.h"
#include "swan/inference/model.h"
#include "swan/mlx/inspect.h"

namespace swan::inference {
namespace {

using Json = nlohmann::ordered_json;

struct Edit {
  std::string name;
  std::function<void(Json&)> apply;
  bool loadable;  // what mlx_lm's loader does with it
};

void PrintTo(const Edit& edit, std::ostream* out) { *out << edit.name; }

class QuantizationConfigAgreement : public testing::TestWithParam<Edit> {};

TEST_P(QuantizationConfigAgreement, InspectAndInferenceGiveTheSameVerdict) {
  const Edit& edit = GetParam();
  test::ScratchDir scratch;
  const auto source = test::fixture_path("golden/mlx_lm/qwen3_untied_mixed_3_6_g64/mlx_lm_output");
  const auto dir = scratch / "model";
  std::filesystem::create_directory(dir);
  for (const char* file : {"model.safetensors", "model.safetensors.index.json"})
    std::filesystem::copy_file(source / file, dir / file);
  std::ifstream config_file(source / "config.json");
  Json config = Json::parse(config_file);
  edit.apply(config);
  std::ofstream(dir / "config.json") << config.dump();

  const auto report = mlx::inspect_directory(dir);
  EXPECT_EQ(report.ok(), edit.loadable) << testing::PrintToString(report.violations);
  bool loaded = true;
  std::string error;
  try {
    Model::load(dir);
  } catch (const Error& e) {
    loaded = false;
    error = e.what();
  }
  EXPECT_EQ(loaded, edit.loadable) << error;
}

// An override of the mixed recipe: the first per-module entry of the config.
std::string first_override(const Json& quantization) {
  for (const auto& [key, value] : quantization.items())
    if (value.is_object()) return key;
  return "";
}

const Edit kEdits[] = {
    {"unedited", [](Json&) {}, true},
    {"legacy_key_only",
     [](Json& c) {
       c["quantization_config"] = c["quantization"];
       c.erase("quantization");
     },
     true},
    {"global_bits_missing",
     [](Json& c) {
       c["quantization"].erase("bits");
       c["quantization_config"] = c["quantization"];
     },
     false},
    {"global_bits_truncating", [](Json& c) { c["quantization"]["bits"] = 4294967299ULL; }, false},
    {"override_with_unknown_key",
     [](Json& c) { c["quantization"][first_override(c["quantization"])]["gs"] = 64; },
     false},
    {"override_bits_not_an_integer",
     [](Json& c) { c["quantization"][first_override(c["quantization"])]["bits"] = 3.5; },
     false},
    {"other_mode", [](Json& c) { c["quantization"]["mode"] = "mxfp4"; }, false},
};

INSTANTIATE_TEST_SUITE_P(Edits, QuantizationConfigAgreement, testing::ValuesIn(kEdits),
                         [](const testing::TestParamInfo<Edit>& info) { return info.param.name; });

}  // namespace
}  // namespace swan::inference
