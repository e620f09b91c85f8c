// The report's pieces against hand-worked cases and the real test model: escaping of names
// from untrusted files, the Pareto front, Spearman's rho, the eval-result checks, the
// frontier against brute force, and what the page shows for full and partial inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "support/fixtures.h"
#include "swan/analysis/analyzer.h"
#include "swan/core/error.h"
#include "swan/io/model_directory.h"
#include "swan/mlx/budget.h"
#include "swan/mlx/layout.h"
#include "swan/plan/builders.h"
#include "swan/report/charts.h"
#include "swan/report/collect.h"
#include "swan/report/eval_results.h"
#include "swan/report/frontier.h"
#include "swan/report/html_page.h"
#include "swan/report/svg.h"

namespace swan::report {
namespace {

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

// The <svg id="ID" ...>...</svg> element of a page ("" when absent).
std::string svg_element(const std::string& page, const std::string& id) {
  const auto start = page.find("<svg id=\"" + id + "\"");
  if (start == std::string::npos) return {};
  const auto end = page.find("</svg>", start);
  return page.substr(start, end - start);
}

TEST(ReportSvg, EscapesMarkupFromUntrustedNames) {
  EXPECT_EQ(xml_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  ReportData data;
  data.header.model = "<script>alert(1)</script>";
  TensorRow row;
  row.name = "model.layers.0.mlp.<img src=x onerror=alert(2)>.weight";
  row.layer = 0;
  row.module = module_column(row.name);
  row.quantizable = true;
  row.params = 64;
  row.bits = 4;
  row.group_size = 64;
  data.tensors.push_back(row);
  const auto page = render_html(data);
  EXPECT_EQ(page.find("<script>alert"), std::string::npos);
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(occurrences(page, "data-tensor=\""), 1u);
}

TEST(ReportSvg, ScalesMapTheirDomainAndTickInside) {
  const auto lin = linear_scale(0.3, 9.7, 0, 100);
  EXPECT_DOUBLE_EQ(lin.lo, 0.0);
  EXPECT_DOUBLE_EQ(lin.hi, 10.0);
  EXPECT_DOUBLE_EQ(lin(5.0), 50.0);
  const auto log = log_scale(0.0011, 0.9, 100, 0);  // y axis: up is smaller pixels
  EXPECT_DOUBLE_EQ(log.lo, 0.001);
  EXPECT_DOUBLE_EQ(log.hi, 1.0);
  EXPECT_NEAR(log(0.01), 100.0 - 100.0 / 3, 1e-9);
  EXPECT_EQ(log.ticks(), (std::vector<double>{0.001, 0.01, 0.1, 1.0}));
  const auto narrow = log_scale(0.0075, 0.0095, 100, 0);  // less than a decade: 1-2-5 bounds and ticks
  EXPECT_NEAR(narrow.lo, 0.005, 1e-15);
  EXPECT_NEAR(narrow.hi, 0.01, 1e-15);
  ASSERT_EQ(narrow.ticks().size(), 2u);
  EXPECT_NEAR(narrow.ticks()[0], 0.005, 1e-15);
  for (const double t : lin.ticks()) EXPECT_TRUE(t >= lin.lo && t <= lin.hi) << t;
}

TEST(ReportCharts, SpearmanMatchesHandWorkedRanks) {
  EXPECT_DOUBLE_EQ(spearman_rho({1, 2, 3, 4}, {10, 20, 30, 40}), 1.0);
  EXPECT_DOUBLE_EQ(spearman_rho({1, 2, 3, 4}, {4, 3, 2, 1}), -1.0);
  // ranks of {1,2,2,3} are {0,1.5,1.5,3}: rho = 4.5 / sqrt(4.5 * 5)
  EXPECT_NEAR(spearman_rho({1, 2, 2, 3}, {1, 2, 3, 4}), 4.5 / std::sqrt(22.5), 1e-12);
  EXPECT_EQ(spearman_rho({1, 1, 1}, {1, 2, 3}), 0.0);
}

EvalResult result(const std::string& label, double bpw, double kld) {
  nlohmann::ordered_json j = {{"kld_mean", kld}, {"kld_stderr", kld / 100}, {"tokens_scored", 1000},
                              {"ppl_base", 7.5},  {"ppl_model", 8.0},       {"model_bits_per_weight", bpw}};
  return eval_result_from_json(j, label, label + ".json");
}

TEST(ReportEval, ParetoFrontKeepsOnlyUnbeatenVariants) {
  std::vector<EvalResult> results = {result("a", 4.0, 0.05), result("b", 4.5, 0.02), result("c", 4.5, 0.03),
                                     result("d", 5.0, 0.025), result("e", 6.0, 0.001)};
  const auto variants = compare_variants(results, std::nullopt, "m");
  std::vector<std::string> front;
  for (const auto& v : variants)
    if (v.pareto) front.push_back(v.label);
  EXPECT_EQ(front, (std::vector<std::string>{"a", "b", "e"}));
  EXPECT_EQ(variants.front().label, "a");  // ascending bits/weight
}

TEST(ReportEval, ResultsFromAnotherModelOrOtherTokensStayOffTheChart) {
  const std::vector<analysis::FileFingerprint> ours = {{"model.safetensors", 100, "00000000000000aa"}};
  auto other = result("other-model", 4.5, 0.01);
  other.base_fingerprint = std::vector<analysis::FileFingerprint>{{"model.safetensors", 100, "00000000000000bb"}};
  other.base = "/models/another";
  auto same = result("same-model", 4.5, 0.02);
  same.base_fingerprint = ours;
  auto tokens = result("other-tokens", 4.0, 0.03);
  tokens.variant.tokens_scored = 5;
  auto sizeless = result("no-size", 4.0, 0.03);
  sizeless.variant.bits_per_weight.reset();
  auto unverified = result("unverified", 5.0, 0.01);
  const auto variants = compare_variants({other, same, tokens, sizeless, unverified, result("x", 3, 0.1)}, ours, "m");
  auto find = [&](const std::string& label) {
    return *std::find_if(variants.begin(), variants.end(), [&](const EvalVariant& v) { return v.label == label; });
  };
  EXPECT_FALSE(find("other-model").on_chart);
  EXPECT_NE(find("other-model").note.find("another base model (/models/another)"), std::string::npos);
  EXPECT_TRUE(find("same-model").on_chart);
  EXPECT_FALSE(find("other-tokens").on_chart);
  EXPECT_NE(find("other-tokens").note.find("other tokens"), std::string::npos);
  EXPECT_FALSE(find("no-size").on_chart);
  EXPECT_TRUE(find("unverified").on_chart);
  EXPECT_NE(find("unverified").note.find("could not be checked"), std::string::npos);
  EXPECT_FALSE(find("other-model").pareto);  // excluded results never make the front
}

TEST(ReportEval, RefusesWhatIsNotAnEvalResult) {
  try {
    eval_result_from_json({{"kld_mean", 0.1}}, "x", "runs/x.json");
    FAIL() << "accepted a result without kld_stderr";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("runs/x.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("kld_stderr"), std::string::npos) << e.what();
  }
  EXPECT_THROW(eval_result_from_json({{"kld_mean", "0.1"}, {"kld_stderr", 0.1}}, "x", "x"), Error);
  EXPECT_THROW(eval_result_from_json({{"kld_mean", -1.0}, {"kld_stderr", 0.1}}, "x", "x"), Error);
  EXPECT_THROW(eval_result_from_json(nlohmann::ordered_json::array(), "x", "x"), Error);
}

// Three targets with three or four options each (all above the SQNR floor, so no rule vetoes
// one): the frontier against exhaustive search.
TEST(ReportFrontier, NeverBelowTheExhaustiveOptimumAndEndsAtTheRange) {
  auto option = [](int bits, std::uint64_t bytes, double error) {
    return plan::PricedOption{bits == 16 ? plan::QuantDecision::keep_float() : plan::QuantDecision::quantized(bits, 64),
                              bytes, error};
  };
  std::vector<plan::BudgetTarget> targets(3);
  for (auto& t : targets) t.target.shape = {4, 64};  // the plan the solver builds checks shapes
  targets[0].target.name = "a";
  targets[0].options = {option(16, 400, 0), option(2, 60, 0.2), option(4, 110, 0.05), option(8, 210, 0.001)};
  targets[1].target.name = "b";
  targets[1].weight = 3;
  targets[1].options = {option(16, 200, 0), option(4, 60, 0.04), option(8, 110, 0.002)};
  targets[2].target.name = "c";
  targets[2].weight = 0.5;
  targets[2].options = {option(16, 100, 0), option(2, 20, 0.15), option(8, 55, 0.003)};
  const std::uint64_t fixed = 1000;
  const auto frontier = planner_frontier(targets, fixed, {}, 16);
  ASSERT_GE(frontier.size(), 3u);
  EXPECT_EQ(frontier.front().bytes, fixed + 60 + 60 + 20);  // the smallest allocation
  EXPECT_NEAR(frontier.back().predicted_error, 0.001 + 3 * 0.002 + 0.5 * 0.003, 1e-12);  // all at 8 bits
  for (std::size_t i = 1; i < frontier.size(); ++i) {
    EXPECT_GT(frontier[i].bytes, frontier[i - 1].bytes);
    EXPECT_LE(frontier[i].predicted_error, frontier[i - 1].predicted_error + 1e-12);
  }
  for (const auto& p : frontier) {
    double best = INFINITY;
    for (const auto& a : targets[0].options)
      for (const auto& b : targets[1].options)
        for (const auto& c : targets[2].options)
          if (fixed + a.bytes + b.bytes + c.bytes <= p.bytes)
            best = std::min(best, a.relative_error + 3 * b.relative_error + 0.5 * c.relative_error);
    EXPECT_GE(p.predicted_error, best - 1e-12) << p.bytes;
  }
  const auto point = allocation_point(targets, fixed,
                                      {{"a", plan::QuantDecision::quantized(4, 64)},
                                       {"b", plan::QuantDecision::keep_float()},
                                       {"c", plan::QuantDecision::quantized(2, 64)}});
  ASSERT_TRUE(point);
  EXPECT_EQ(point->bytes, fixed + 110 + 200 + 20);
  EXPECT_NEAR(point->predicted_error, 0.05 + 0 + 0.5 * 0.15, 1e-12);
  EXPECT_FALSE(allocation_point(targets, fixed, {{"a", plan::QuantDecision::quantized(3, 64)}}));
}

class ReportOnTheTestModel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    model_ = new ModelDirectory(test::source_dir() / "models/qwen3-tiny-5.8m");
    analysis::AnalysisOptions options;
    options.error_curves = true;
    options.record_time = false;
    options.threads = 2;
    manifest_ = new analysis::Manifest(analysis::analyze_model(*model_, "qwen3-tiny-5.8m", options));
    options.error_curves = false;
    no_curves_ = new analysis::Manifest(analysis::analyze_model(*model_, "qwen3-tiny-5.8m", options));
  }
  static void TearDownTestSuite() {
    delete no_curves_;
    delete manifest_;
    delete model_;
  }
  static ModelDirectory* model_;
  static analysis::Manifest* manifest_;
  static analysis::Manifest* no_curves_;
};
ModelDirectory* ReportOnTheTestModel::model_ = nullptr;
analysis::Manifest* ReportOnTheTestModel::manifest_ = nullptr;
analysis::Manifest* ReportOnTheTestModel::no_curves_ = nullptr;

TEST_F(ReportOnTheTestModel, FullInputsDrawEveryChartWithOneCellPerQuantizableTensor) {
  const auto planned = mlx::plan_mlx_budget(*model_, *manifest_, mlx::Budget{4.5, std::nullopt}, std::nullopt);
  const auto& plan = planned.budget.plan;
  const auto sizes = mlx::summarize(mlx::build_layout(*model_, plan, std::nullopt), plan);
  ReportSources sources;
  sources.model = model_;
  sources.manifest = manifest_;
  sources.plan = &plan;
  sources.output = &sizes;
  sources.budget = mlx::Budget{4.5, std::nullopt};
  sources.evals = {result("uniform-4bit-g64", 4.508, 0.023), result("plan-4.5", 4.5, 0.0149)};
  const auto data = collect_report(sources);
  const auto page = render_html(data);
  EXPECT_EQ(page, render_html(collect_report(sources)));  // deterministic

  const auto targets = mlx::quantizable_targets(*model_);
  EXPECT_EQ(occurrences(page, "data-tensor=\""), targets.size());
  for (const auto& t : targets) EXPECT_NE(page.find("data-tensor=\"" + t.name + "\""), std::string::npos) << t.name;
  for (const char* id : {kHeatmap, kBytesByModule, kBitsHistogram, kFrontier, kMetricScatter, kEvalPareto}) {
    const auto svg = svg_element(page, id);
    ASSERT_FALSE(svg.empty()) << id << (data.missing.count(id) ? ": " + data.missing.at(id) : "");
    EXPECT_NE(svg.find("class=\"axis-label x\""), std::string::npos) << id;
    EXPECT_NE(svg.find("class=\"axis-label y\""), std::string::npos) << id;
  }
  EXPECT_EQ(page.find("class=\"missing\""), std::string::npos);

  // The header and the frontier's marked point are the plan's own numbers.
  EXPECT_EQ(data.header.output_bytes, planned.output_bytes);
  ASSERT_TRUE(data.frontier && data.frontier->chosen);
  EXPECT_EQ(data.frontier->chosen->bytes, planned.output_bytes);
  EXPECT_NEAR(data.frontier->chosen->predicted_error, planned.budget.objective, 1e-9 * planned.budget.objective);
  EXPECT_EQ(data.frontier->budget_bytes, planned.budget_bytes);
  // Every quantized cell's error is its option on the tensor's curve.
  for (const auto& row : data.tensors) {
    if (!row.quantizable || row.group_size == 0) continue;
    const auto* curve = manifest_->find(row.name)->error_curve ? &*manifest_->find(row.name)->error_curve : nullptr;
    ASSERT_TRUE(curve && row.relative_error) << row.name;
    EXPECT_NEAR(*row.relative_error, curve->find(row.bits, row.group_size)->relative_error, 1e-15) << row.name;
  }
}

TEST_F(ReportOnTheTestModel, PartialInputsExplainWhatIsMissing) {
  const auto plan = plan::uniform_plan(mlx::quantizable_targets(*model_), 4, 64);
  ReportSources sources;
  sources.model = model_;
  sources.manifest = no_curves_;
  sources.plan = &plan;
  const auto page = render_html(collect_report(sources));
  EXPECT_EQ(occurrences(page, "data-tensor=\""), mlx::quantizable_targets(*model_).size());
  EXPECT_NE(page.find("<p class=\"missing\" data-section=\"frontier\">The manifest has no error curves"),
            std::string::npos);
  EXPECT_NE(page.find("<p class=\"missing\" data-section=\"eval-pareto\">No eval results given"), std::string::npos);
  EXPECT_TRUE(svg_element(page, kFrontier).empty());
  EXPECT_FALSE(svg_element(page, kBytesByModule).empty());  // sizes come from the plan laid out on the model

  ReportSources nothing;
  const auto empty_page = render_html(collect_report(nothing));
  EXPECT_NE(empty_page.find("data-section=\"heatmap\""), std::string::npos);
  EXPECT_NE(empty_page.find("</html>"), std::string::npos);
}

}  // namespace
}  // namespace swan::report
