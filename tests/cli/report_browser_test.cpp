// The report rendered by a real browser: headless Chromium (Debian's `chromium`, installed by
// scripts/install-deps.sh) loads the page from disk, and the test checks what a reader would
// get: no console message or script error, the page's script ran to the end, one heatmap
// cell per quantizable tensor, every chart's SVG with both axes labelled, and a screenshot
// that is not blank. Partial inputs must give the same clean page with explanations.
// Without Chromium the test fails under CI (CI=true) and is skipped loudly elsewhere.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "support/fixtures.h"
#include "support/png.h"
#include "cli/swan_cli.h"
#include "support/process.h"

namespace swan {
namespace {

namespace fs = std::filesystem;

using test::swan;

std::string qwen3_tiny() { return (test::source_dir() / "models/qwen3-tiny-5.8m").string(); }
std::string tinystories_text() { return (test::source_dir() / "data/tinystories_valid_head100.txt").string(); }

std::optional<std::string> find_chromium() {
  if (const char* set = std::getenv("SWAN_CHROMIUM"); set && *set) return std::string(set);
  for (const char* candidate : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"})
    if (fs::exists(candidate)) return std::string(candidate);
  return std::nullopt;
}

#define SWAN_REQUIRE_CHROMIUM(variable)                                                                 \
  const auto variable##_found = find_chromium();                                                        \
  if (!variable##_found) {                                                                              \
    const char* ci = std::getenv("CI");                                                                 \
    if (ci && *ci) FAIL() << "headless Chromium is not installed; scripts/install-deps.sh installs it"; \
    GTEST_SKIP() << "needs headless Chromium (apt-get install chromium, or set SWAN_CHROMIUM)";         \
  }                                                                                                     \
  const std::string variable = *variable##_found

struct Rendered {
  std::string dom;      // the document after its scripts ran
  std::string console;  // every console line Chromium logged
  test::Image screenshot;
};

// Chromium under a time limit (coreutils' timeout: exit status 124 if it hangs).
test::ProcessResult run_chromium(std::vector<std::string> args) {
  args.insert(args.begin(), {"/usr/bin/timeout", "180"});
  return test::run_process(args);
}

Rendered render(const std::string& chromium, const fs::path& page, const test::ScratchDir& scratch) {
  const std::vector<std::string> common = {chromium, "--headless", "--no-sandbox", "--disable-gpu",
                                           "--no-first-run", "--hide-scrollbars", "--disable-crash-reporter",
                                           "--user-data-dir=" + (scratch / "chromium-profile").string(),
                                           "--enable-logging=stderr", "--v=0"};
  const std::string url = "file://" + fs::absolute(page).string();
  auto dom_args = common;
  dom_args.insert(dom_args.end(), {"--dump-dom", url});
  const auto dom = run_chromium(dom_args);
  EXPECT_EQ(dom.exit_code, 0) << dom.err;
  const auto png = scratch / (page.stem().string() + ".png");
  auto shot_args = common;
  shot_args.insert(shot_args.end(), {"--window-size=1280,2400", "--screenshot=" + png.string(), url});
  const auto shot = run_chromium(shot_args);
  EXPECT_EQ(shot.exit_code, 0) << shot.err;
  Rendered out;
  out.dom = dom.out;
  for (const auto* err : {&dom.err, &shot.err}) {
    std::size_t start = 0;
    while (start < err->size()) {
      const auto end = std::min(err->find('\n', start), err->size());
      const auto line = err->substr(start, end - start);
      if (line.find(":CONSOLE") != std::string::npos) out.console += line + "\n";
      start = end + 1;
    }
  }
  out.screenshot = test::read_png(png);
  return out;
}

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

std::string svg_element(const std::string& dom, const std::string& id) {
  const auto start = dom.find("<svg id=\"" + id + "\"");
  if (start == std::string::npos) return {};
  return dom.substr(start, dom.find("</svg>", start) - start);
}

void expect_clean_and_drawn(const Rendered& r) {
  EXPECT_TRUE(r.console.empty()) << "console output:\n" << r.console;
  EXPECT_NE(r.dom.find("data-report-ready=\"1\""), std::string::npos) << "the page's script did not finish";
  EXPECT_EQ(r.dom.find("data-script-error=\""), std::string::npos) << "a script error was recorded";
  // Not blank: a real share of the pixels is not background, in many colours.
  std::set<std::uint32_t> colours;
  std::size_t inked = 0;
  for (const auto p : r.screenshot.pixels) {
    if (p != 0xffffff) ++inked;
    if (colours.size() < 1000) colours.insert(p);
  }
  EXPECT_GT(inked, r.screenshot.pixels.size() / 20) << "screenshot is (nearly) blank";
  EXPECT_GT(colours.size(), 20u);
}

TEST(ReportBrowser, FullReportRendersCleanlyWithEveryChart) {
  SWAN_REQUIRE_CHROMIUM(chromium);
  test::ScratchDir dir;
  const auto manifest = (dir / "manifest.json").string(), plan = (dir / "plan.json").string();
  const auto planned = dir / "plan-4.5", uniform = dir / "uniform-4bit-g64";
  ASSERT_EQ(swan({"analyze", qwen3_tiny(), "-o", manifest, "-q"}).exit_code, 0);
  ASSERT_EQ(swan({"plan", manifest, "--target-bpw", "4.5", "-o", plan, "-q"}).exit_code, 0);
  ASSERT_EQ(swan({"quantize", qwen3_tiny(), "--plan", plan, "-o", planned.string(), "--quiet"}).exit_code, 0);
  ASSERT_EQ(swan({"convert", qwen3_tiny(), "-q", "-o", uniform.string(), "--quiet"}).exit_code, 0);
  const auto base = (dir / "base.logits").string();
  std::vector<std::string> evals;
  for (const auto& variant : {planned, uniform}) {
    std::vector<std::string> args = {"eval", "kld", qwen3_tiny(), variant.string(), "--text", tinystories_text(),
                                     "--ctx", "128", "--chunks", "2", "--json", "--quiet"};
    if (evals.empty()) args.insert(args.end(), {"--save-base", base});
    const auto result = swan(args);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    evals.push_back((dir / (variant.filename().string() + ".json")).string());
    std::ofstream(evals.back()) << result.out;
  }
  const auto page = dir / "report.html";
  const auto made =
      swan({"report", planned.string(), manifest, plan, evals[0], evals[1], "-o", page.string(), "-q"});
  ASSERT_EQ(made.exit_code, 0) << made.err;

  const auto rendered = render(chromium, page, dir);
  expect_clean_and_drawn(rendered);
  std::ifstream plan_in(plan);
  const auto plan_json = nlohmann::json::parse(plan_in);
  EXPECT_EQ(occurrences(rendered.dom, "data-tensor=\""), plan_json["tensors"].size());
  for (const auto& t : plan_json["tensors"])
    EXPECT_NE(rendered.dom.find("data-tensor=\"" + t["name"].get<std::string>() + "\""), std::string::npos);
  for (const char* id : {"heatmap", "bytes-by-module", "bits-histogram", "frontier", "metric-scatter", "eval-pareto"}) {
    const auto svg = svg_element(rendered.dom, id);
    ASSERT_FALSE(svg.empty()) << "no <svg id=\"" << id << "\">";
    EXPECT_NE(svg.find("class=\"axis-label x\""), std::string::npos) << id;
    EXPECT_NE(svg.find("class=\"axis-label y\""), std::string::npos) << id;
  }
  // The plan is both smaller and closer to the original than uniform 4-bit: it alone is the front.
  EXPECT_EQ(occurrences(rendered.dom, "class=\"variant pareto\""), 1u);
  EXPECT_NE(rendered.dom.find("class=\"variant pareto\" data-variant=\"plan-4.5\""), std::string::npos);
  EXPECT_EQ(rendered.dom.find("class=\"missing\""), std::string::npos);
}

TEST(ReportBrowser, PartialAndForeignInputsExplainThemselvesInACleanPage) {
  SWAN_REQUIRE_CHROMIUM(chromium);
  test::ScratchDir dir;
  const auto manifest = (dir / "manifest.json").string();
  ASSERT_EQ(swan({"analyze", qwen3_tiny(), "--no-curves", "-o", manifest, "-q"}).exit_code, 0);
  // An eval result of another model, written by hand in the format swan writes.
  const nlohmann::json foreign = {{"kld_mean", 0.5},  {"kld_stderr", 0.01}, {"tokens_scored", 100},
                                  {"ppl_base", 3.9}, {"ppl_model", 4.4},   {"model_bits_per_weight", 4.5},
                                  {"base", "elsewhere/stories260k"},
                                  {"base_fingerprint", {{{"file", "model.safetensors"}, {"size", 1}, {"header_fnv1a64", "0000000000000000"}}}}};
  const auto foreign_path = (dir / "foreign.json").string();
  std::ofstream(foreign_path) << foreign.dump();
  const auto page = dir / "partial.html";
  const auto made = swan({"report", manifest, foreign_path, "-o", page.string(), "-q"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const auto rendered = render(chromium, page, dir);
  expect_clean_and_drawn(rendered);
  EXPECT_NE(rendered.dom.find("data-section=\"frontier\">The manifest has no error curves"), std::string::npos);
  EXPECT_NE(rendered.dom.find("measured against another base model"), std::string::npos);
  EXPECT_TRUE(svg_element(rendered.dom, "frontier").empty());
  EXPECT_FALSE(svg_element(rendered.dom, "heatmap").empty());
}

}  // namespace
}  // namespace swan
