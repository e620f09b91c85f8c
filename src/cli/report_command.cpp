// `swan report INPUT... -o report.html`: one self-contained HTML page of what swan decided for
// every tensor and what it cost. Sorts the inputs by what they are, then calls swan::report.
#include <fmt/core.h>

#include <chrono>
#include <filesystem>
#include <memory>

#include "cli/commands.h"
#include "swan/analysis/fingerprint.h"
#include "swan/core/error.h"
#include "swan/io/json_reader.h"
#include "swan/mlx/inspect.h"
#include "swan/report/collect.h"
#include "swan/report/html_page.h"

namespace swan::cli {

namespace {

namespace fs = std::filesystem;

struct Inputs {
  std::optional<ModelDirectory> model;
  std::optional<mlx::InspectReport> output;  // an MLX directory
  std::optional<analysis::Manifest> manifest;
  std::optional<plan::QuantPlan> plan;
  std::vector<report::EvalResult> evals;
  std::string output_architecture;
  std::vector<std::string> warnings;
};

template <typename T>
void only_one(const std::optional<T>& slot, const std::string& what, const std::string& path) {
  if (slot) fail("{}: a second {}; give at most one per report", path, what);
}

void add_input(Inputs& in, const std::string& input) {
  const fs::path path(input);
  if (fs::is_directory(path)) {
    auto inspected = mlx::inspect_directory(path);
    if (inspected.format == "mlx") {
      only_one(in.output, "MLX output directory", input);
      for (const auto& v : inspected.violations)
        in.warnings.push_back(fmt::format("{} would not load in mlx_lm: {}", input, v));
      if (const auto config = path / "config.json"; fs::is_regular_file(config)) {
        const auto json = read_json_file(config);
        if (json.is_object()) in.output_architecture = json.value("model_type", std::string{});
      }
      in.output = std::move(inspected);
    } else {
      only_one(in.model, "model directory", input);
      in.model.emplace(path);
    }
    return;
  }
  if (!fs::is_regular_file(path)) fail("{}: no such file or directory", input);
  const auto json = read_json_file(path);
  if (json.is_object() && json.value("schema", std::string{}) == "swan-plan/1") {
    only_one(in.plan, "plan", input);
    try {
      in.plan = plan::plan_from_json(json);
    } catch (const std::exception& e) {  // swan::Error, or the JSON library's on a wrong type
      fail("{}: not a valid swan-plan/1 plan: {}", input, e.what());
    }
  } else if (report::is_eval_result(json)) {
    in.evals.push_back(report::eval_result_from_json(json, path.stem().string(), input));
  } else if (json.is_object() && json.contains("shards")) {
    only_one(in.manifest, "manifest", input);
    try {
      in.manifest = analysis::manifest_from_json(json, input);
    } catch (const std::exception& e) {
      fail("{}: not a valid manifest: {}", input, e.what());
    }
  } else {
    fail("{}: not a manifest (`swan analyze`), a plan (`swan plan`) or an eval result (`swan eval kld --json`); "
         "INPUT may also be a model directory or an MLX output directory",
         input);
  }
}

// The model the manifest was made from, when the user did not name it and it is still here.
void find_model_of_manifest(Inputs& in) {
  if (in.model || !in.manifest || in.manifest->model.empty()) return;
  const fs::path dir(in.manifest->model);
  if (!fs::is_directory(dir)) {
    in.warnings.push_back(fmt::format("The manifest's model directory '{}' is not here; pass it as an INPUT or "
                                      "--model DIR for the frontier and the original size.",
                                      in.manifest->model));
    return;
  }
  try {
    ModelDirectory model(dir);
    if (in.manifest->run && in.manifest->run->fingerprint != analysis::fingerprint_model(model)) {
      in.warnings.push_back(fmt::format("The manifest's model directory '{}' holds other files than the manifest was "
                                        "made from (fingerprints differ); it is not used.",
                                        in.manifest->model));
      return;
    }
    in.model.emplace(std::move(model));
  } catch (const Error& e) {
    in.warnings.push_back(fmt::format("The manifest's model directory cannot be read: {}", e.what()));
  }
}

std::string utc_now() {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text;
}

}  // namespace

void add_report_command(CLI::App& app) {
  struct Options {
    std::vector<std::string> inputs;
    std::string output = "report.html", model;
    bool timestamp = false, quiet = false;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "report",
      "Write one self-contained HTML page (inline SVG, no network) of what swan decided for every tensor and what\n"
      "it cost. Give any of these INPUTs, in any order; each section uses what it needs and says what is missing:\n"
      "  MLX output directory   bits, group size and bytes of every tensor as written (heatmap, bytes, histogram)\n"
      "  model directory        the original: its size, and prices for the planner's frontier\n"
      "  manifest.json          `swan analyze`: error curves (errors on hover, frontier) and SWAN's scores (scatter);\n"
      "                         its \"model\" directory is used when it is still here and unchanged\n"
      "  plan.json              `swan plan`: the allocation (and method) when there is no MLX directory\n"
      "  NAME.json ...          `swan eval kld BASE MODEL --text FILE --json > NAME.json`, one per variant: bits/\n"
      "                         weight against KLD with the Pareto front, and a table with error bars; NAME labels it\n"
      "Example:\n"
      "  swan analyze MODEL -o manifest.json\n"
      "  swan convert MODEL -o q45 --target-bpw 4.5\n"
      "  swan eval kld MODEL q45 --text data.txt --json > plan-4.5.json\n"
      "  swan report q45 manifest.json plan-4.5.json uniform-4bit.json -o report.html\n"
      "The page is deterministic (same inputs, same bytes) unless --timestamp adds the time it was made.\n"
      "`swan convert ... --report` writes the same page into the output directory.");
  cmd->add_option("INPUT", opts->inputs, "MLX output directory, model directory, manifest, plan, eval results")
      ->required()
      ->check(CLI::ExistingPath);
  cmd->add_option("-o,--output", opts->output, "the HTML file to write (atomically)")->capture_default_str();
  cmd->add_option("--model", opts->model, "the original model directory (default: the manifest's \"model\")")
      ->check(CLI::ExistingDirectory);
  cmd->add_flag("--timestamp", opts->timestamp, "record when the page was made (the page is then not reproducible)");
  cmd->add_flag("-q,--quiet", opts->quiet, "print nothing but errors");
  cmd->callback([opts] {
    Inputs in;
    for (const auto& input : opts->inputs) add_input(in, input);
    if (!opts->model.empty()) {
      only_one(in.model, "model directory", opts->model);
      in.model.emplace(opts->model);
    }
    find_model_of_manifest(in);
    report::ReportSources sources;
    sources.model = in.model ? &*in.model : nullptr;
    sources.manifest = in.manifest ? &*in.manifest : nullptr;
    sources.plan = in.plan ? &*in.plan : nullptr;
    sources.output = in.output ? &in.output->summary : nullptr;
    sources.architecture = in.output_architecture;
    if (in.output && !in.model) sources.model_name = in.output->directory.filename().string();
    sources.evals = std::move(in.evals);
    sources.report_command = command_line();
    if (opts->timestamp) sources.timestamp = utc_now();
    auto data = report::collect_report(sources);
    data.warnings.insert(data.warnings.begin(), in.warnings.begin(), in.warnings.end());
    report::write_report(data, opts->output);
    if (!opts->quiet) {
      fmt::print("report written to {} ({} tensors, {} variants)\n", opts->output, data.tensors.size(),
                 data.variants.size());
      for (const auto& [section, why] : data.missing) fmt::print("  {}: {}\n", section, why);
    }
  });
}

}  // namespace swan::cli
