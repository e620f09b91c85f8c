// End-to-end tests of `--equalize`: the unquantized equalised model's KL-divergence from the
// original is float rounding (swan eval kld on the written directory); equalised output has
// the same bytes as plain output and passes `swan inspect`; `swan plan --equalize` + `swan
// quantize --plan --equalize` writes what `swan convert --target-bpw --equalize` writes; what
// it cannot do is refused.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "cli/swan_cli.h"
#include "support/fixtures.h"

namespace swan {
namespace {

namespace fs = std::filesystem;
using test::swan;

std::string qwen3_tiny() { return (test::source_dir() / "models/qwen3-tiny-5.8m").string(); }
std::string stories260k() { return test::shared_path("models/stories260k").string(); }
std::string text() { return (test::source_dir() / "data/tinystories_valid_head100.txt").string(); }

nlohmann::json inspect_summary(const fs::path& dir) {
  const auto result = swan({"inspect", dir.string(), "--json"});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  return nlohmann::json::parse(result.out)["summary"];
}

TEST(EqualizeCli, UnquantizedEqualizedModelHasTheOriginalsDistribution) {
  test::ScratchDir dir;
  const auto out = dir / "equalized";
  const auto converted = swan({"convert", stories260k(), "-o", out.string(), "--equalize=all"});
  ASSERT_EQ(converted.exit_code, 0) << converted.err;
  EXPECT_NE(converted.err.find("equalized 20 folds"), std::string::npos) << converted.err;  // 5 layers x 4 points
  const auto kld = swan({"eval", "kld", stories260k(), out.string(), "--text", text(), "--ctx", "256", "--chunks",
                         "4", "--json", "--quiet"});
  ASSERT_EQ(kld.exit_code, 0) << kld.err;
  const auto j = nlohmann::json::parse(kld.out);
  EXPECT_LT(j["kld_mean"].get<double>(), 1e-9);  // float32 model: float rounding only
  EXPECT_EQ(j["top1_agreement"].get<double>(), 100.0);
}

TEST(EqualizeCli, SameBytesOtherWeightsAndInspectPasses) {
  test::ScratchDir dir;
  for (const char* name : {"plain", "equalized"}) {
    std::vector<std::string> args = {"convert", qwen3_tiny(), "-o", (dir / name).string(), "--bits", "3",
                                     "--group-size", "64", "--quiet"};
    if (std::string(name) == "equalized") args.push_back("--equalize");  // the norm folds
    const auto r = swan(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  EXPECT_EQ(inspect_summary(dir / "plain")["total_bytes"], inspect_summary(dir / "equalized")["total_bytes"]);
  EXPECT_NE(test::file_bytes(dir / "plain/model.safetensors"), test::file_bytes(dir / "equalized/model.safetensors"));
}

TEST(EqualizeCli, PlanAndQuantizeComposeLikeConvert) {
  test::ScratchDir dir;
  const auto plan = (dir / "plan.json").string();
  const auto planned = swan({"plan", qwen3_tiny(), "--target-bpw", "4.5", "--equalize", "-o", plan, "-q"});
  ASSERT_EQ(planned.exit_code, 0) << planned.err;
  const auto quantized = swan({"quantize", qwen3_tiny(), "--plan", plan, "--equalize", "-o", (dir / "q").string(),
                               "--quiet"});
  ASSERT_EQ(quantized.exit_code, 0) << quantized.err;
  const auto converted = swan({"convert", qwen3_tiny(), "--target-bpw", "4.5", "--equalize", "-o",
                               (dir / "c").string(), "--quiet"});
  ASSERT_EQ(converted.exit_code, 0) << converted.err;
  EXPECT_EQ(test::file_bytes(dir / "q/model.safetensors"), test::file_bytes(dir / "c/model.safetensors"));
}

TEST(EqualizeCli, WhatItCannotDoIsRefused) {
  test::ScratchDir dir;
  const auto gguf = swan({"convert", stories260k(), "-o", (dir / "m.gguf").string(), "--format", "gguf", "--type",
                          "Q8_0", "--equalize"});
  EXPECT_EQ(gguf.exit_code, 2);
  EXPECT_NE(gguf.err.find("--equalize is for MLX output"), std::string::npos) << gguf.err;
  const auto moe = swan({"convert", test::fixture_path("models/moe-tiny-qwen3").string(), "-o", (dir / "moe").string(),
                         "-q", "--equalize"});
  EXPECT_EQ(moe.exit_code, 1);
  EXPECT_NE(moe.err.find("dense models only"), std::string::npos) << moe.err;
  EXPECT_FALSE(fs::exists(dir / "moe"));
  const auto bad = swan({"convert", stories260k(), "-o", (dir / "bad").string(), "--equalize=q_proj"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("unknown folding point 'q_proj'"), std::string::npos) << bad.err;
  const auto manifest = (dir / "manifest.json").string();
  ASSERT_EQ(swan({"analyze", stories260k(), "-o", manifest, "-q"}).exit_code, 0);
  const auto from_manifest = swan({"plan", manifest, "--target-bpw", "12", "--equalize", "-o",
                                   (dir / "plan.json").string(), "-q"});
  EXPECT_EQ(from_manifest.exit_code, 1);
  EXPECT_NE(from_manifest.err.find("--equalize needs a model directory INPUT"), std::string::npos) << from_manifest.err;
}

}  // namespace
}  // namespace swan
