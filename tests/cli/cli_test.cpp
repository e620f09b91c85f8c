// End-to-end tests of the `swan` program: the README's workflows, usage errors, and what
// a user sees when input is bad, the disk fills up or a run is killed.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mlx/directory_util.h"
#include "support/fixtures.h"
#include "cli/swan_cli.h"
#include "support/process.h"

namespace swan {
namespace {

namespace fs = std::filesystem;
using test::ProcessOptions;
using test::ProcessResult;

ProcessResult swan(std::vector<std::string> args, const ProcessOptions& options = {}) {
  args.insert(args.begin(), SWAN_BINARY);
  return test::run_process(args, options);
}

std::string qwen3_tiny() { return test::fixture_path("models/qwen3-tiny-5.8m").string(); }
std::string stories260k() { return test::fixture_path("models/stories260k").string(); }
std::string eval_text() { return test::fixture_path("data/tinystories-valid-head/tinystories_valid_head100.txt").string(); }

using test::file_bytes;

// Entries of `dir` other than `keep` (to spot leftovers such as temp directories).
std::vector<std::string> entries_except(const fs::path& dir, const std::string& keep) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().filename() != keep) names.push_back(entry.path().filename().string());
  return names;
}

TEST(Cli, HelpListsEverySubcommand) {
  const auto result = swan({"--help"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (const char* command : {"analyze", "quantize", "convert", "inspect", "eval"})
    EXPECT_NE(result.out.find(command), std::string::npos) << command;
}

TEST(Cli, UsageErrorsExitWithStatus2) {
  EXPECT_EQ(swan({}).exit_code, 2);
  EXPECT_EQ(swan({"analyze"}).exit_code, 2);
  EXPECT_EQ(swan({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(swan({"convert", qwen3_tiny(), "-o", "/tmp/x", "--bits", "7"}).exit_code, 2);
}

TEST(Cli, AnalyzeWritesManifestAndJsonSummary) {
  test::ScratchDir dir;
  const auto manifest = dir / "m.json";
  const auto result = swan({"analyze", stories260k(), "-o", manifest.string(), "--json", "--threads", "2"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto summary = nlohmann::json::parse(result.out);
  // Reference README: 47 tensors, average 6.080 bits under the CLI thresholds.
  EXPECT_EQ(summary["tensor_count"], 47);
  EXPECT_NEAR(summary["average_bits"].get<double>(), 6.080, 5e-4);
  const auto written = nlohmann::json::parse(file_bytes(manifest));
  EXPECT_EQ(written["total_tensors"], 47);
  EXPECT_EQ(written["config"]["sensitivity_threshold_8bit"], 0.45);
}

TEST(Cli, AnalyzeReportsATruncatedShardAndExitsNonZero) {
  test::ScratchDir dir;
  const std::string bytes = file_bytes(test::shared_path("models/stories260k/model.safetensors"));
  std::ofstream(dir / "model.safetensors", std::ios::binary).write(bytes.data(), 5000);
  const auto result = swan({"analyze", dir.path().string(), "-o", (dir / "m.json").string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("swan: error:"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("model.safetensors"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(dir / "m.json"));
}

TEST(Cli, ConvertThenInspectValidatesAndLeavesInputUntouched) {
  test::ScratchDir dir;
  const auto input = qwen3_tiny() + "/model.safetensors";
  const std::string before = file_bytes(input);
  const auto out = dir / "q4";
  auto result = swan({"convert", qwen3_tiny(), "-o", out.string(), "-q", "--q-bits", "4", "--q-group-size", "64",
                      "--quiet"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(file_bytes(input), before);
  result = swan({"inspect", out.string(), "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  const auto report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report.at("ok"), true) << result.out;
  EXPECT_EQ(report.at("violations"), nlohmann::json::array()) << result.out;
  EXPECT_EQ(entries_except(dir.path(), "q4"), std::vector<std::string>{});
}

TEST(Cli, InspectReportsViolationsAndExitsOne) {
  test::ScratchDir dir;
  const auto golden = test::fixture_path("golden/mlx_lm/qwen2_tied_uniform_q4g64/mlx_lm_output");
  auto result = swan({"inspect", golden.string(), "--json"});
  EXPECT_EQ(result.exit_code, 0) << result.out;
  EXPECT_EQ(nlohmann::json::parse(result.out).at("ok"), true);
  // A tensor mlx_lm's loader would reject (no module owns it).
  test::copy_with_edit(golden, dir / "bad", [](auto& tensors) {
    tensors["model.layers.0.self_attn.rotary_emb.inv_freq"] = tensors.at("model.norm.weight");
  });
  result = swan({"inspect", (dir / "bad").string(), "--json"});
  EXPECT_EQ(result.exit_code, 1) << result.out;
  const auto report = nlohmann::json::parse(result.out);
  EXPECT_EQ(report.at("ok"), false);
  ASSERT_FALSE(report.at("violations").empty()) << result.out;
  for (const auto& violation : report["violations"])
    EXPECT_NE(violation.dump().find("rotary_emb.inv_freq"), std::string::npos) << result.out;
}

// mlx_lm.convert's own flag names select the same uniform quantization.
TEST(Cli, ConvertAcceptsMlxLmFlagNames) {
  test::ScratchDir dir;
  const auto out = dir / "q";
  const auto result = swan({"convert", stories260k(), "--mlx-path", out.string(), "-q", "--q-bits", "8",
                            "--q-group-size", "32", "--quiet"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto config = nlohmann::json::parse(file_bytes(out / "config.json"));
  EXPECT_EQ(config["quantization"]["bits"], 8);
  EXPECT_EQ(config["quantization"]["group_size"], 32);
  EXPECT_EQ(swan({"inspect", out.string()}).exit_code, 0);
}

TEST(Cli, ConvertRejectsBitsTogetherWithMethodSwan) {
  test::ScratchDir dir;
  const auto result = swan({"convert", stories260k(), "-o", (dir / "x").string(), "--method", "swan", "--bits", "4"});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_FALSE(fs::exists(dir / "x"));
}

// The reference's manifest through `quantize` and swan's own analysis through `convert
// --method swan` decide the same (stories260k's decisions never flip across seeds, per the
// reference README).
TEST(Cli, QuantizeWithTheReferenceManifestEqualsConvertWithMethodSwan) {
  test::ScratchDir dir;
  const auto manifest = test::fixture_path("golden/swan-reference/stories260k_manifest_seed0.json");
  auto result = swan({"quantize", stories260k(), "--manifest", manifest.string(), "-o", (dir / "m").string(), "--quiet"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  result = swan({"convert", stories260k(), "-o", (dir / "s").string(), "--method", "swan", "--seed", "0", "--quiet"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (const char* out : {"m", "s"}) EXPECT_EQ(swan({"inspect", (dir / out).string()}).exit_code, 0) << out;
  const auto a = nlohmann::json::parse(file_bytes(dir / "m/config.json"));
  const auto b = nlohmann::json::parse(file_bytes(dir / "s/config.json"));
  EXPECT_EQ(a["quantization"], b["quantization"]);
}

TEST(Cli, ConvertRefusesANonEmptyOutputUnlessForced) {
  test::ScratchDir dir;
  const auto out = dir / "out";
  fs::create_directories(out);
  std::ofstream(out / "keep.txt") << "user data";
  auto result = swan({"convert", stories260k(), "-o", out.string(), "-q", "--quiet"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("--force"), std::string::npos) << result.err;
  EXPECT_TRUE(fs::exists(out / "keep.txt"));
  result = swan({"convert", stories260k(), "-o", out.string(), "-q", "--force", "--quiet"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_FALSE(fs::exists(out / "keep.txt"));
  EXPECT_TRUE(fs::exists(out / "config.json"));
}

TEST(Cli, AFullDiskGivesAClearErrorAndLeavesNothingBehind) {
  test::ScratchDir dir;
  const auto out = dir / "out";
  // Any file larger than 1 MB fails to write, as on a nearly full disk.
  const auto result = swan({"convert", qwen3_tiny(), "-o", out.string(), "--quiet"}, {.max_file_bytes = 1 << 20});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("swan: error:"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_EQ(entries_except(dir.path(), ""), std::vector<std::string>{});
}

TEST(Cli, AKilledConversionNeverLeavesSomethingThatLooksFinished) {
  for (int delay_ms : {5, 20, 60, 150}) {
    test::ScratchDir dir;
    const auto out = dir / "out";
    const auto result = swan({"convert", qwen3_tiny(), "-o", out.string(), "--method", "swan", "--quiet"},
                             {.kill_after = std::chrono::milliseconds(delay_ms)});
    if (fs::exists(out)) {
      // The run finished before the kill: then it must be complete and loadable.
      const auto inspect = swan({"inspect", out.string()});
      EXPECT_EQ(inspect.exit_code, 0) << "delay " << delay_ms << ": " << inspect.out;
    }
    // Whatever the moment, a later run into the same place succeeds and clears the debris.
    const auto again = swan({"convert", qwen3_tiny(), "-o", out.string(), "-q", "--force", "--quiet"});
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(entries_except(dir.path(), "out"), std::vector<std::string>{}) << "delay " << delay_ms;
    (void)result;
  }
}

TEST(Cli, QuantizeAppliesAnAnalyzeManifest) {
  test::ScratchDir dir;
  const auto manifest = dir / "m.json";
  ASSERT_EQ(swan({"analyze", qwen3_tiny(), "-o", manifest.string(), "--quiet"}).exit_code, 0);
  const auto out = dir / "swan";
  const auto result = swan({"quantize", qwen3_tiny(), "--manifest", manifest.string(), "-o", out.string(), "--quiet"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(swan({"inspect", out.string()}).exit_code, 0);
}

TEST(Cli, KldOfAModelAgainstItselfIsExactlyZero) {
  const auto result = swan({"eval", "kld", stories260k(), stories260k(), "--text",
                            eval_text(),
                            "--ctx", "128", "--chunks", "4", "--json", "--threads", "1"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["kld_mean"].get<double>(), 0.0);
  EXPECT_EQ(json["top1_agreement"].get<double>(), 100.0);
  EXPECT_EQ(json["ln_ppl_ratio"].get<double>(), 0.0);
}

// An MoE model and its 4-bit conversion: eval accepts both and reports, per MoE layer, the
// tokens whose experts changed; against itself nothing changes.
TEST(Cli, KldOfAnMoeQuantizationReportsExpertSetChanges) {
  test::ScratchDir dir;
  const std::string base = test::shared_path("models/moe-tiny-qwen3").string();
  ASSERT_EQ(swan({"convert", base, "-o", (dir / "q4").string(), "-q", "--quiet"}).exit_code, 0);
  auto kld = [&](const std::string& model) {
    const auto result = swan({"eval", "kld", base, model, "--text", eval_text(), "--ctx", "128", "--chunks", "3",
                              "--json", "--quiet", "--threads", "1"});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return nlohmann::json::parse(result.out);
  };
  const auto same = kld(base);
  ASSERT_EQ(same["expert_set_changed"].size(), 2u);  // layers 0 and 2; layer 1 is dense
  EXPECT_EQ(same["expert_set_changed"][1]["layer"], 2);
  EXPECT_EQ(same["expert_set_changed"][0]["fraction"].get<double>(), 0.0);
  EXPECT_EQ(same["expert_set_changed"][0]["tokens"], 3 * 128);
  const auto quantized = kld((dir / "q4").string());
  EXPECT_GT(quantized["kld_mean"].get<double>(), 0.0);
  for (const auto& layer : quantized["expert_set_changed"]) {
    EXPECT_GT(layer["fraction"].get<double>(), 0.0);
    EXPECT_LT(layer["fraction"].get<double>(), 1.0);
  }
}

TEST(Cli, EightBitCostsLessThanFourBitWhichCostsLessThanTwoBit) {
  test::ScratchDir dir;
  std::vector<double> kld;
  for (const char* bits : {"8", "4", "2"}) {
    const auto out = dir / (std::string("q") + bits);
    ASSERT_EQ(swan({"convert", qwen3_tiny(), "-o", out.string(), "--bits", bits, "--group-size", "64", "--quiet"})
                  .exit_code,
              0);
    const auto result = swan({"eval", "kld", qwen3_tiny(), out.string(), "--text", eval_text(), "--ctx", "256",
                              "--chunks", "6", "--json", "--quiet"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    kld.push_back(nlohmann::json::parse(result.out)["kld_mean"].get<double>());
  }
  EXPECT_LT(kld[0] * 10, kld[1]);  // "far below": at least an order of magnitude
  EXPECT_LT(kld[1] * 3, kld[2]);
}

}  // namespace
}  // namespace swan
