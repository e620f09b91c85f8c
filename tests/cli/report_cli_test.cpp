// End-to-end tests of `swan report` and `swan convert --report`: the page lands beside a
// model that still loads, the page is reproducible, eval results carry what the report
// checks, and bad inputs give clear errors without leaving a page behind.
#include <gtest/gtest.h>

#include <fstream>
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
std::string stories260k() { return test::fixture_path("models/stories260k").string(); }
std::string tinystories_text() { return (test::source_dir() / "data/tinystories_valid_head100.txt").string(); }

using test::file_bytes;

void write_text(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

TEST(ReportCli, ConvertWritesTheReportBesideAModelThatStillLoads) {
  test::ScratchDir dir;
  const auto with = dir / "with", without = dir / "without";
  const auto a = swan({"convert", qwen3_tiny(), "--target-bpw", "4.5", "-o", with.string(), "--report", "--quiet"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(swan({"convert", qwen3_tiny(), "--target-bpw", "4.5", "-o", without.string(), "--quiet"}).exit_code, 0);
  const auto page = file_bytes(with / "report.html");
  EXPECT_NE(page.find("<svg id=\"frontier\""), std::string::npos);
  EXPECT_NE(page.find("swan convert "), std::string::npos);  // the exact command is recorded
  EXPECT_NE(page.find("--target-bpw 4.5"), std::string::npos);
  // Everything else is what convert writes without --report, and mlx_lm's checks pass.
  for (const auto& entry : fs::directory_iterator(without)) {
    const auto name = entry.path().filename();
    EXPECT_EQ(file_bytes(entry.path()), file_bytes(with / name)) << name;
  }
  const auto inspected = swan({"inspect", with.string()});
  EXPECT_EQ(inspected.exit_code, 0) << inspected.out;
  EXPECT_NE(inspected.out.find("mlx_lm load check: OK"), std::string::npos) << inspected.out;
  // GGUF output has no report.
  EXPECT_EQ(swan({"convert", qwen3_tiny(), "--format", "gguf", "--type", "Q8_0", "-o", (dir / "x.gguf").string(),
                  "--report"})
                .exit_code,
            2);
}

// A saved plan records its budget, and the report shows it.
TEST(ReportCli, ASavedPlanCarriesItsBudget) {
  test::ScratchDir dir;
  const auto plan = (dir / "plan.json").string();
  ASSERT_EQ(swan({"plan", stories260k(), "--target-size", "350000", "-o", plan, "-q"}).exit_code, 0);
  const auto saved = nlohmann::json::parse(file_bytes(plan));
  EXPECT_EQ(saved["budget"], "350000 bytes");
  const auto page = dir / "report.html";
  ASSERT_EQ(swan({"report", plan, stories260k(), "-o", page.string(), "-q"}).exit_code, 0);
  const auto html = file_bytes(page);
  EXPECT_NE(html.find("350000 bytes"), std::string::npos);
  EXPECT_EQ(html.find("not recorded in the plan"), std::string::npos);
}

TEST(ReportCli, ThePageIsReproducibleUnlessATimestampIsAsked) {
  test::ScratchDir dir;
  const auto manifest = (dir / "manifest.json").string();
  ASSERT_EQ(swan({"analyze", qwen3_tiny(), "-o", manifest, "-q"}).exit_code, 0);
  ASSERT_EQ(swan({"convert", qwen3_tiny(), "-q", "-o", (dir / "q4").string(), "--quiet"}).exit_code, 0);
  const auto first = swan({"report", (dir / "q4").string(), manifest, "-o", (dir / "a.html").string()});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("report written to"), std::string::npos);
  ASSERT_EQ(swan({"report", manifest, (dir / "q4").string(), "-o", (dir / "b.html").string(), "-q"}).exit_code, 0);
  // Same inputs in another order: only the recorded `swan report` command line differs.
  auto strip_command = [](std::string page) {
    const auto at = page.find("report made by");
    return page.erase(at, page.find("</tr>", at) - at);
  };
  EXPECT_EQ(strip_command(file_bytes(dir / "a.html")), strip_command(file_bytes(dir / "b.html")));
  const auto again = swan({"report", (dir / "q4").string(), manifest, "-o", (dir / "a2.html").string()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(strip_command(file_bytes(dir / "a.html")), strip_command(file_bytes(dir / "a2.html")));
  ASSERT_EQ(swan({"report", (dir / "q4").string(), manifest, "-o", (dir / "d.html").string(), "-q", "--timestamp"})
                .exit_code,
            0);
  EXPECT_NE(file_bytes(dir / "d.html").find("<td>generated</td>"), std::string::npos);
  EXPECT_EQ(file_bytes(dir / "a.html").find("<td>generated</td>"), std::string::npos);
}

TEST(ReportCli, EvalResultsCarryTheModelSizeAndAForeignBaseIsFlagged) {
  test::ScratchDir dir;
  const auto q4 = (dir / "q4").string(), s4 = (dir / "s4").string();
  ASSERT_EQ(swan({"convert", qwen3_tiny(), "-q", "-o", q4, "--quiet"}).exit_code, 0);
  ASSERT_EQ(swan({"convert", stories260k(), "-q", "-o", s4, "--quiet"}).exit_code, 0);
  const auto ours = swan({"eval", "kld", qwen3_tiny(), q4, "--text", tinystories_text(), "--ctx", "64", "--chunks",
                          "2", "--json", "--quiet"});
  ASSERT_EQ(ours.exit_code, 0) << ours.err;
  const auto theirs = swan({"eval", "kld", stories260k(), s4, "--text", tinystories_text(), "--ctx", "64", "--chunks",
                            "2", "--json", "--quiet"});
  ASSERT_EQ(theirs.exit_code, 0) << theirs.err;
  const auto json = nlohmann::json::parse(ours.out);
  const auto inspected = nlohmann::json::parse(swan({"inspect", q4, "--json"}).out)["summary"];
  EXPECT_EQ(json["model_total_bytes"], inspected["total_bytes"]);
  EXPECT_DOUBLE_EQ(json["model_bits_per_weight"].get<double>(),
                   inspected["bits_per_weight_with_overhead"].get<double>());
  EXPECT_TRUE(json["base_fingerprint"].is_array() && !json["base_fingerprint"].empty());
  write_text(dir / "uniform-4bit.json", ours.out);
  write_text(dir / "stories-4bit.json", theirs.out);
  const auto page_path = (dir / "r.html").string();
  const auto made = swan({"report", qwen3_tiny(), q4, (dir / "uniform-4bit.json").string(),
                          (dir / "stories-4bit.json").string(), "-o", page_path, "-q"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const auto page = file_bytes(page_path);
  EXPECT_NE(page.find("measured against another base model"), std::string::npos);
  EXPECT_NE(page.find("data-variant=\"uniform-4bit\""), std::string::npos);   // on the chart
  EXPECT_EQ(page.find("data-variant=\"stories-4bit\""), std::string::npos);   // not on it
}

TEST(ReportCli, BadInputsAreRefusedByNameAndLeaveNoPage) {
  test::ScratchDir dir;
  const auto out = dir / "r.html";
  write_text(dir / "random.json", R"({"hello": "world"})");
  auto refused = swan({"report", (dir / "random.json").string(), "-o", out.string()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("random.json: not a manifest"), std::string::npos) << refused.err;
  write_text(dir / "broken.json", R"({"kld_mean": 0.1, "kld_stderr": "x"})");
  refused = swan({"report", (dir / "broken.json").string(), "-o", out.string()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("kld_stderr"), std::string::npos) << refused.err;
  write_text(dir / "truncated.json", R"({"shards": [)");
  refused = swan({"report", (dir / "truncated.json").string(), "-o", out.string()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("truncated.json"), std::string::npos) << refused.err;
  write_text(dir / "bad-plan.json", R"({"schema": "swan-plan/1", "tensors": 3})");
  refused = swan({"report", (dir / "bad-plan.json").string(), "-o", out.string()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("bad-plan.json"), std::string::npos) << refused.err;
  refused = swan({"report", qwen3_tiny(), qwen3_tiny(), "-o", out.string()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("a second model directory"), std::string::npos) << refused.err;
  EXPECT_EQ(swan({"report", (dir / "missing.json").string(), "-o", out.string()}).exit_code, 2);
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace swan
