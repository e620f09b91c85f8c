// The convert / quantize / inspect subcommands through the real binary: exit codes and
// that their outputs pass inspection. The binary is $SWAN_BINARY, else `swan` beside this
// test executable (both live in the build directory); skipped when neither exists.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "mlx/directory_util.h"
#include "support/fixtures.h"
#include "swan/mlx/inspect.h"
#include "swan/quant/scale_method.h"

namespace swan::mlx {
namespace {

std::filesystem::path swan_binary() {
  if (const char* binary = std::getenv("SWAN_BINARY")) return binary;
  std::error_code ec;
  return std::filesystem::read_symlink("/proc/self/exe", ec).parent_path() / "swan";
}

int run(const std::string& arguments) {
  const int status = std::system((swan_binary().string() + " " + arguments + " >/dev/null 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(swan_binary())) GTEST_SKIP() << "no swan binary at " << swan_binary() << "; build `swan`";
  }
  test::ScratchDir scratch;
  std::string stories = test::shared_path("models/stories260k").string();
};

TEST_F(Cli, ConvertWithMlxLmFlagsThenInspect) {
  const std::string out = (scratch / "q").string();
  ASSERT_EQ(run("convert " + stories + " --mlx-path " + out + " -q --q-bits 8 --q-group-size 32 --quiet"), 0);
  EXPECT_TRUE(inspect_directory(out).ok());
  const auto config = nlohmann::json::parse(test::read_file_text(scratch / "q/config.json"));
  EXPECT_EQ(config["quantization"]["bits"], 8);
  EXPECT_EQ(config["quantization"]["group_size"], 32);
  EXPECT_EQ(run("inspect " + out + " --json"), 0);
  EXPECT_EQ(run("convert " + stories + " -o " + out + " -q --quiet"), 1);  // not empty
  EXPECT_EQ(run("convert " + stories + " -o " + out + " -q --quiet --force"), 0);
}

TEST_F(Cli, ScalesOption) {
  const std::string base = "convert " + stories + " --bits 4 --group-size 32 --quiet -o ";
  ASSERT_EQ(run(base + (scratch / "default").string()), 0);
  ASSERT_EQ(run(base + (scratch / "minmax").string() + " --scales minmax"), 0);
  ASSERT_EQ(run(base + (scratch / "optimized").string() + " --scales optimized"), 0);
  EXPECT_TRUE(inspect_directory(scratch / "optimized").ok());
  const std::string default_method = quant::kDefaultScaleMethod == quant::ScaleMethod::optimized ? "optimized" : "minmax";
  test::expect_identical_directories(scratch / "default", scratch / default_method);
  EXPECT_NE(test::read_tensors(scratch / "minmax").at("model.layers.0.mlp.up_proj.weight").data,
            test::read_tensors(scratch / "optimized").at("model.layers.0.mlp.up_proj.weight").data);
  EXPECT_NE(run(base + (scratch / "bad").string() + " --scales hqq"), 0);
  EXPECT_FALSE(std::filesystem::exists(scratch / "bad"));
}

TEST_F(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(run("convert " + stories + " -o " + (scratch / "x").string() + " --method swan --bits 4"), 2);
  // CLI11's own validation errors exit with its codes (105 here), decided by main.cpp.
  EXPECT_NE(run("convert " + stories + " -o " + (scratch / "x").string() + " --bits 7"), 0);
  EXPECT_FALSE(std::filesystem::exists(scratch / "x"));
}

TEST_F(Cli, QuantizeFromManifestAndConvertWithSwan) {
  const std::string manifest = test::shared_path("golden/swan-reference/stories260k_manifest_seed0.json").string();
  ASSERT_EQ(run("quantize " + stories + " --manifest " + manifest + " -o " + (scratch / "m").string() + " --quiet"), 0);
  EXPECT_TRUE(inspect_directory(scratch / "m").ok());
  ASSERT_EQ(run("convert " + stories + " -o " + (scratch / "s").string() + " --method swan --seed 0 --quiet"), 0);
  EXPECT_TRUE(inspect_directory(scratch / "s").ok());
  // stories260k's decisions never flip across seeds (reference README), so both agree.
  const auto a = nlohmann::json::parse(test::read_file_text(scratch / "m/config.json"));
  const auto b = nlohmann::json::parse(test::read_file_text(scratch / "s/config.json"));
  EXPECT_EQ(a["quantization"], b["quantization"]);
}

TEST_F(Cli, InspectExitsOneOnViolations) {
  test::copy_with_edit(test::shared_path("golden/mlx_lm/qwen2_tied_uniform_q4g64/mlx_lm_output"), scratch / "bad",
                       [](auto& tensors) { tensors["model.layers.0.self_attn.rotary_emb.inv_freq"] = tensors.at("model.norm.weight"); });
  EXPECT_EQ(run("inspect " + (scratch / "bad").string()), 1);
  EXPECT_EQ(run("inspect " + test::shared_path("golden/mlx_lm/qwen2_tied_uniform_q4g64/mlx_lm_output").string()), 0);
}

}  // namespace
}  // namespace swan::mlx
