// `swan convert --format gguf`, `swan inspect FILE.gguf` and `swan eval` on GGUF, run as a
// user would: the file llama.cpp's tools would load, refusal to overwrite, usage errors
// (exit 2), a clear error for a type that does not fit (exit 1), a full disk leaving nothing,
// and the byte-budget planner: the budget met by the file itself, the same file for any
// thread count, budget flags refused next to --type / --preset.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include <fstream>
#include <iterator>
#include <regex>
#include <set>

#include "cli/swan_cli.h"
#include "support/fixtures.h"
#include "support/process.h"

namespace swan {
namespace {

namespace fs = std::filesystem;

test::ProcessResult swan(std::vector<std::string> args, const test::ProcessOptions& options = {}) {
  args.insert(args.begin(), SWAN_BINARY);
  return test::run_process(args, options);
}

std::string stories260k() { return test::shared_path("models/stories260k").string(); }
std::string text() { return (test::source_dir() / "data/tinystories_valid_head100.txt").string(); }

TEST(GgufCli, ConvertInspectAndEvaluate) {
  const test::ScratchDir dir;
  const std::string out = (dir / "stories.gguf").string();
  const auto convert = swan({"convert", stories260k(), "-o", out, "--format", "gguf", "--preset", "Q4_K_M", "--quiet"});
  ASSERT_EQ(convert.exit_code, 0) << convert.err;
  const auto inspect = swan({"inspect", out, "--json"});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.out << inspect.err;
  const auto report = nlohmann::json::parse(inspect.out);
  EXPECT_TRUE(report.at("ok").get<bool>());
  EXPECT_EQ(report.at("architecture"), "llama");
  // Rows of 64 and 172 elements: Q4_K falls back to Q5_0, Q6_K to Q8_0, and ffn_down to F16.
  std::set<std::string> types;
  for (const auto& t : report.at("tensors")) types.insert(t.at("type").get<std::string>());
  EXPECT_EQ(types, (std::set<std::string>{"F16", "F32", "Q5_0", "Q8_0"}));

  // Refuses to overwrite without --force; with --force it replaces the file.
  const auto again = swan({"convert", stories260k(), "-o", out, "--format", "gguf", "--type", "F16", "--quiet"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("pass --force"), std::string::npos) << again.err;

  const auto ppl = swan({"eval", "ppl", out, "--tokenizer", stories260k(), "--text", text(), "--ctx", "128", "--chunks", "4", "--json", "--quiet"});
  ASSERT_EQ(ppl.exit_code, 0) << ppl.err;
  EXPECT_GT(nlohmann::json::parse(ppl.out).at("ppl").get<double>(), 1.0);
  // Without --tokenizer the file's own tokenizer keys give the same tokens, hence the same PPL.
  const auto own_tokenizer = swan({"eval", "ppl", out, "--text", text(), "--ctx", "128", "--chunks", "4", "--json", "--quiet"});
  ASSERT_EQ(own_tokenizer.exit_code, 0) << own_tokenizer.err;
  EXPECT_EQ(nlohmann::json::parse(own_tokenizer.out).at("ppl"), nlohmann::json::parse(ppl.out).at("ppl"));
  EXPECT_EQ(nlohmann::json::parse(own_tokenizer.out).at("tokens_scored"), nlohmann::json::parse(ppl.out).at("tokens_scored"));
  const auto kld = swan({"eval", "kld", stories260k(), out, "--text", text(), "--ctx", "128", "--chunks", "4", "--json", "--quiet"});
  ASSERT_EQ(kld.exit_code, 0) << kld.err;
  EXPECT_GT(nlohmann::json::parse(kld.out).at("kld_mean").get<double>(), 0.0);
}

TEST(GgufCli, UsageAndTypeErrors) {
  const test::ScratchDir dir;
  const std::string out = (dir / "x.gguf").string();
  const auto both = swan({"convert", stories260k(), "-o", out, "--format", "gguf", "--type", "Q4_K", "--preset", "Q4_K_M"});
  EXPECT_EQ(both.exit_code, 2);
  const auto neither = swan({"convert", stories260k(), "-o", out, "--format", "gguf"});
  EXPECT_EQ(neither.exit_code, 2);
  const auto mlx_flag = swan({"convert", stories260k(), "-o", out, "--format", "gguf", "--type", "Q4_K", "--bits", "4"});
  EXPECT_EQ(mlx_flag.exit_code, 2);
  const auto unknown = swan({"convert", stories260k(), "-o", out, "--format", "gguf", "--type", "IQ4_XS"});
  EXPECT_EQ(unknown.exit_code, 2);
  // Q4_0 has no fallback, and ffn_down rows have 172 elements: llama-quantize throws too.
  const auto no_fit = swan({"convert", stories260k(), "-o", out, "--format", "gguf", "--type", "Q4_0"});
  EXPECT_EQ(no_fit.exit_code, 1);
  EXPECT_NE(no_fit.err.find("ffn_down"), std::string::npos) << no_fit.err;
  EXPECT_TRUE(fs::is_empty(dir.path()));  // nothing written, no temporary file left
}

TEST(GgufCli, AFullDiskLeavesNothingBehind) {
  const test::ScratchDir dir;
  test::ProcessOptions limited;
  limited.max_file_bytes = 100000;
  const auto r = swan({"convert", stories260k(), "-o", (dir / "y.gguf").string(), "--format", "gguf", "--type", "F32", "--quiet"},
                      limited);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("swan: error:"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

std::string qwen3_tiny() { return (test::source_dir() / "models/qwen3-tiny-5.8m").string(); }

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(GgufCli, BudgetPlannerMeetsTheBudgetInTheFileItself) {
  const test::ScratchDir dir;
  // The budget: the tensor data of the Q4_K_M preset's file.
  const std::string preset = (dir / "preset.gguf").string();
  ASSERT_EQ(swan({"convert", qwen3_tiny(), "-o", preset, "--format", "gguf", "--preset", "Q4_K_M", "--quiet"}).exit_code, 0);
  const auto preset_report = nlohmann::json::parse(swan({"inspect", preset, "--json"}).out);
  const auto budget = preset_report.at("total_bytes").get<std::uint64_t>();

  const std::string one = (dir / "one.gguf").string(), two = (dir / "two.gguf").string();
  const auto r1 = swan({"convert", qwen3_tiny(), "-o", one, "--format", "gguf", "--target-size", std::to_string(budget),
                        "--threads", "1"});
  ASSERT_EQ(r1.exit_code, 0) << r1.err;
  EXPECT_NE(r1.out.find("budget plan:"), std::string::npos) << r1.out;
  const auto r2 = swan({"convert", qwen3_tiny(), "-o", two, "--format", "gguf", "--target-size", std::to_string(budget),
                        "--threads", "2", "--quiet"});
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  EXPECT_TRUE(file_bytes(one) == file_bytes(two)) << "the planned file depends on the thread count";

  const auto inspect = swan({"inspect", one, "--json"});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.out << inspect.err;
  const auto report = nlohmann::json::parse(inspect.out);
  EXPECT_TRUE(report.at("ok").get<bool>());
  const auto bytes = report.at("total_bytes").get<std::uint64_t>();
  EXPECT_LE(bytes, budget);
  EXPECT_GE(static_cast<double>(bytes), 0.99 * static_cast<double>(budget));
  std::set<std::string> types;
  for (const auto& t : report.at("tensors")) types.insert(t.at("type").get<std::string>());
  EXPECT_GE(types.size(), 3u) << "a mixed-precision plan";

  // --target-bpw X is inspect's bits_per_weight <= X.
  const std::string bpw = (dir / "bpw.gguf").string();
  ASSERT_EQ(swan({"convert", qwen3_tiny(), "-o", bpw, "--format", "gguf", "--target-bpw", "4.25", "--quiet"}).exit_code, 0);
  const auto bpw_report = nlohmann::json::parse(swan({"inspect", bpw, "--json"}).out);
  EXPECT_LE(bpw_report.at("bits_per_weight").get<double>(), 4.25);
  EXPECT_GE(bpw_report.at("bits_per_weight").get<double>(), 0.99 * 4.25);
}

TEST(GgufCli, BudgetUsageErrors) {
  const test::ScratchDir dir;
  const std::string out = (dir / "x.gguf").string();
  const auto with_type =
      swan({"convert", stories260k(), "-o", out, "--format", "gguf", "--type", "Q4_K", "--target-bpw", "8"});
  EXPECT_EQ(with_type.exit_code, 2);
  const auto with_preset =
      swan({"convert", stories260k(), "-o", out, "--format", "gguf", "--preset", "Q4_K_M", "--target-size", "250k"});
  EXPECT_EQ(with_preset.exit_code, 2);
  const auto scales =
      swan({"convert", stories260k(), "-o", out, "--format", "gguf", "--target-bpw", "9", "--scales", "optimized"});
  EXPECT_EQ(scales.exit_code, 2);
  const auto too_small = swan({"convert", stories260k(), "-o", out, "--format", "gguf", "--target-bpw", "2", "--quiet"});
  EXPECT_EQ(too_small.exit_code, 1);
  EXPECT_NE(too_small.err.find("smallest GGUF"), std::string::npos) << too_small.err;
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

// --sensitivity measured for GGUF runs both rounds, as for MLX: the first plan's ggml types
// are put into the model and each tensor's slope is measured there, then the refined plan is
// kept only if its self-text KLD is lower by more than two paired standard errors (the note
// names both); a kept first plan is the isolated round's file, a refined plan of another KLD
// is another file. Within the budget either way.
TEST(GgufCli, MeasuredSensitivityMeasuresTheFirstPlanInContext) {
  const test::ScratchDir dir;
  for (const std::string size : {"248288", "267168"}) {  // Q3_K_M's and Q4_K_M's tensor bytes
    const std::string measured = (dir / ("measured-" + size + ".gguf")).string();
    const std::string isolated = (dir / ("isolated-" + size + ".gguf")).string();
    const auto result = swan({"convert", stories260k(), "-o", measured, "--format", "gguf", "--target-size", size,
                              "--sensitivity", "measured"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    ASSERT_EQ(swan({"convert", stories260k(), "-o", isolated, "--format", "gguf", "--target-size", size,
                    "--sensitivity", "isolated", "--quiet"})
                  .exit_code,
              0);
    const auto note = test::refinement_note(result.err);
    ASSERT_TRUE(note) << result.err;
    EXPECT_GT(note->first_kld, 0.0);  // the first plan really is quantized in the model
    EXPECT_EQ(note->kept, note->expected_kept()) << result.err;
    if (note->kept == "first") {
      EXPECT_TRUE(file_bytes(measured) == file_bytes(isolated)) << size;
    } else if (note->refined_kld != note->first_kld) {
      EXPECT_FALSE(file_bytes(measured) == file_bytes(isolated)) << size;
    }
    const auto report = nlohmann::json::parse(swan({"inspect", measured, "--json"}).out);
    EXPECT_TRUE(report.at("ok").get<bool>());
    EXPECT_LE(report.at("total_bytes").get<std::uint64_t>(), std::stoull(size));
  }
}

}  // namespace
}  // namespace swan
