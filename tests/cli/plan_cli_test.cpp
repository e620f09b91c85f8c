// End-to-end tests of the byte-budget workflow: `swan plan` then `swan quantize --plan`
// writes exactly what `swan convert --target-bpw` writes; the output's size, as `swan
// inspect` counts it, stays within the budget; bad budgets and foreign plans are refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include <fstream>
#include <regex>
#include <set>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/fixtures.h"
#include "cli/swan_cli.h"
#include "support/process.h"

namespace swan {
namespace {

namespace fs = std::filesystem;

using test::swan;

std::string qwen3_tiny() { return (test::source_dir() / "models/qwen3-tiny-5.8m").string(); }
std::string stories260k() { return test::shared_path("models/stories260k").string(); }

using test::file_bytes;

nlohmann::json inspect_summary(const fs::path& dir) {
  const auto result = swan({"inspect", dir.string(), "--json"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return nlohmann::json::parse(result.out)["summary"];
}

TEST(PlanCli, PlanThenQuantizeEqualsConvertAndMeetsTheBudget) {
  test::ScratchDir dir;
  const auto plan = dir / "plan.json";
  const auto planned = swan({"plan", qwen3_tiny(), "--target-bpw", "4.5", "-o", plan.string(), "--json", "-q"});
  ASSERT_EQ(planned.exit_code, 0) << planned.err;
  const auto summary = nlohmann::json::parse(planned.out);
  EXPECT_LE(summary["bits_per_weight_with_overhead"].get<double>(), 4.5);
  EXPECT_GE(summary["bits_per_weight_with_overhead"].get<double>(), 0.99 * 4.5);

  ASSERT_EQ(swan({"quantize", qwen3_tiny(), "--plan", plan.string(), "-o", (dir / "a").string(), "--quiet"}).exit_code,
            0);
  const auto converted = swan({"convert", qwen3_tiny(), "--target-bpw", "4.5", "-o", (dir / "b").string(), "--quiet"});
  ASSERT_EQ(converted.exit_code, 0) << converted.err;
  for (const auto& entry : fs::directory_iterator(dir / "a")) {
    const auto name = entry.path().filename();
    if (name == "README.md") continue;  // the model card names the command that wrote it
    EXPECT_EQ(file_bytes(entry.path()), file_bytes(dir / "b" / name)) << name;
  }
  const auto written = inspect_summary(dir / "a");
  EXPECT_EQ(written["total_bytes"], summary["total_bytes"]);
  EXPECT_LE(written["bits_per_weight_with_overhead"].get<double>(), 4.5);
}

TEST(PlanCli, TargetSizeAcceptsUnitsAndIsNeverExceeded) {
  test::ScratchDir dir;
  const auto result = swan({"convert", stories260k(), "--target-size", "0.4MB", "-o", (dir / "o").string(), "--quiet"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_LE(inspect_summary(dir / "o")["total_bytes"].get<std::uint64_t>(), 400000u);
  EXPECT_GE(inspect_summary(dir / "o")["total_bytes"].get<std::uint64_t>(), 396000u);
}

TEST(PlanCli, BadBudgetsAndForeignPlansAreRefused) {
  test::ScratchDir dir;
  const auto plan = (dir / "p.json").string();
  auto infeasible = swan({"plan", qwen3_tiny(), "--target-bpw", "1", "-o", plan});
  EXPECT_EQ(infeasible.exit_code, 1);
  EXPECT_NE(infeasible.err.find("smallest output"), std::string::npos) << infeasible.err;
  EXPECT_FALSE(fs::exists(plan));
  EXPECT_EQ(swan({"plan", qwen3_tiny(), "-o", plan}).exit_code, 1);  // no budget given
  EXPECT_EQ(swan({"plan", qwen3_tiny(), "--target-bpw", "4", "--target-size", "3MB", "-o", plan}).exit_code, 2);
  EXPECT_EQ(swan({"plan", qwen3_tiny(), "--target-size", "3 parsecs", "-o", plan}).exit_code, 1);
  EXPECT_EQ(swan({"convert", qwen3_tiny(), "--method", "swan", "--target-bpw", "4", "-o", (dir / "x").string()})
                .exit_code,
            2);
  // A plan made for another model.
  ASSERT_EQ(swan({"plan", stories260k(), "--target-size", "0.4MB", "-o", plan, "-q"}).exit_code, 0);
  const auto foreign = swan({"quantize", qwen3_tiny(), "--plan", plan, "-o", (dir / "y").string()});
  EXPECT_EQ(foreign.exit_code, 1);
  EXPECT_NE(foreign.err.find("another model"), std::string::npos) << foreign.err;
  EXPECT_FALSE(fs::exists(dir / "y"));
}

TEST(PlanCli, MixedRecipeIsABaselineThroughTheSameWriter) {
  test::ScratchDir dir;
  const auto out = dir / "m";
  ASSERT_EQ(swan({"convert", qwen3_tiny(), "-q", "--quant-predicate", "mixed_3_6", "-o", out.string(), "--quiet"})
                .exit_code,
            0);
  const auto config = nlohmann::json::parse(file_bytes(out / "config.json"))["quantization"];
  EXPECT_EQ(config["bits"], 3);
  // Layer 0 of 6 uses more bits (i < 6/8 is false, but (0 - 0) % 3 == 2 is false too): 3 bits;
  // layer 5 >= 7*6/8 = 5: 6 bits.
  EXPECT_EQ(config["model.layers.0.mlp.down_proj"]["bits"], 3);
  EXPECT_EQ(config["model.layers.5.mlp.down_proj"]["bits"], 6);
  EXPECT_EQ(config["model.layers.2.self_attn.v_proj"]["bits"], 6);  // (2 - 0) % 3 == 2
  EXPECT_EQ(config["model.layers.5.self_attn.q_proj"]["bits"], 3);
}

// --scales (moved here from the MLX layer's CLI tests): the default is one of the two
// methods byte for byte, optimized writes other codes of the same size, a bad value fails.
TEST(PlanCli, ScalesOption) {
  test::ScratchDir dir;
  const std::vector<std::string> base{"convert", stories260k(), "--bits", "4", "--group-size", "32", "--quiet", "-o"};
  auto convert = [&](const std::string& name, std::vector<std::string> extra) {
    auto args = base;
    args.push_back((dir / name).string());
    args.insert(args.end(), extra.begin(), extra.end());
    return swan(args).exit_code;
  };
  ASSERT_EQ(convert("default", {}), 0);
  ASSERT_EQ(convert("minmax", {"--scales", "minmax"}), 0);
  ASSERT_EQ(convert("optimized", {"--scales", "optimized"}), 0);
  EXPECT_EQ(inspect_summary(dir / "optimized")["total_bytes"], inspect_summary(dir / "minmax")["total_bytes"]);
  const auto weights = [&](const std::string& name) { return file_bytes(dir / name / "model.safetensors"); };
  EXPECT_TRUE(weights("default") == weights("minmax") || weights("default") == weights("optimized"));
  EXPECT_NE(weights("minmax"), weights("optimized"));
  EXPECT_NE(convert("bad", {"--scales", "hqq"}), 0);
  EXPECT_FALSE(fs::exists(dir / "bad"));
}

// --sensitivity measured: the model's own text, one probe per tensor; the plan still meets
// the budget, and its weights are measured ones, not the role priors (a tied embedding's
// prior is exactly 20).
TEST(PlanCli, MeasuredSensitivityPlansWithinTheBudget) {
  test::ScratchDir dir;
  const auto plan = dir / "plan.json";
  const auto result = swan({"plan", stories260k(), "--target-size", "0.4MB", "--sensitivity", "measured", "-o",
                            plan.string(), "--json", "-q"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto summary = nlohmann::json::parse(result.out);
  EXPECT_LE(summary["total_bytes"].get<std::uint64_t>(), 400000u);
  const auto saved = nlohmann::json::parse(file_bytes(plan));
  std::string embedding_reason;
  for (const auto& t : saved["tensors"])
    if (t["name"] == "model.embed_tokens.weight") embedding_reason = t["reason"];
  EXPECT_NE(embedding_reason.find("weight"), std::string::npos) << embedding_reason;
  EXPECT_EQ(embedding_reason.find("weight 20"), std::string::npos) << embedding_reason;
  // Same seed, same plan.
  const auto again = dir / "again.json";
  ASSERT_EQ(swan({"plan", stories260k(), "--target-size", "0.4MB", "--sensitivity", "measured", "-o", again.string(),
                  "-q"})
                .exit_code,
            0);
  EXPECT_EQ(file_bytes(plan), file_bytes(again));
}

// --sensitivity measured plans twice (isolated slopes, then slopes inside the first plan) and
// keeps the refined plan only when its KLD on the model's own text is lower by more than two
// paired standard errors: the note on stderr names both KLDs, their difference ± its error and
// the kept plan, and a kept first plan is exactly the isolated round's plan. On stories260k
// both outcomes occur: at 3-bit sizes errors compound and the refined plan wins, at 4-bit
// sizes the first one.
TEST(PlanCli, MeasuredKeepsTheLowerKldOfItsTwoPlans) {
  test::ScratchDir dir;
  std::set<std::string> kept_seen;
  for (const std::string size : {"325120", "351584"}) {
    const auto measured = dir / ("measured-" + size + ".json"), isolated = dir / ("isolated-" + size + ".json");
    const auto result =
        swan({"plan", stories260k(), "--target-size", size, "--sensitivity", "measured", "-o", measured.string()});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    ASSERT_EQ(swan({"plan", stories260k(), "--target-size", size, "--sensitivity", "isolated", "-o",
                    isolated.string(), "-q"})
                  .exit_code,
              0);
    const auto note = test::refinement_note(result.err);
    ASSERT_TRUE(note) << result.err;
    const std::string kept = note->kept;
    EXPECT_NEAR(note->difference, note->refined_kld - note->first_kld,
                1e-3 * std::max(note->first_kld, note->refined_kld))
        << result.err;
    EXPECT_EQ(kept, note->expected_kept()) << result.err;
    kept_seen.insert(kept);
    const auto tensors = [](const fs::path& p) { return nlohmann::json::parse(file_bytes(p))["tensors"]; };
    if (kept == "first") EXPECT_EQ(tensors(measured), tensors(isolated));
    else EXPECT_NE(tensors(measured), tensors(isolated));
  }
  EXPECT_EQ(kept_seen.size(), 2u);
}

}  // namespace
}  // namespace swan
