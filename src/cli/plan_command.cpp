// `swan plan MODEL_DIR|MANIFEST --target-bpw X | --target-size S`: choose every tensor's
// bits and group size under a byte budget and save the plan for `swan quantize --plan`.
#include <fmt/core.h>
#include <omp.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "cli/budget_options.h"
#include "cli/commands.h"
#include "cli/equalize_option.h"
#include "swan/io/atomic_file.h"
#include "swan/analysis/fingerprint.h"
#include "swan/core/error.h"
#include "swan/mlx/budget.h"
#include "swan/mlx/layout.h"
#include "swan/mlx/writer.h"
#include "swan/plan/plan_summary.h"

namespace swan::cli {

void add_plan_command(CLI::App& app) {
  struct Options {
    std::string input, model, output = "plan.json", dtype, scales = quant::to_string(quant::kDefaultScaleMethod);
    BudgetOptions budget;
    EqualizeOption equalize;
    int threads = 0;
    bool json = false, quiet = false;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "plan",
      "Allocate bits (2-8) and group sizes (32/64/128) per tensor under a byte budget, without data.\n"
      "Every quantizable tensor - embeddings and lm_head included - gets the option that minimises\n"
      "the model's predicted damage, Σ weight x relative reconstruction error, within the budget\n"
      "(a multiple-choice knapsack over each tensor's measured error curve). INPUT is a model\n"
      "directory (analysed on the fly) or a manifest from `swan analyze` (then the model directory\n"
      "is the manifest's \"model\" or --model). Write the plan with `swan quantize MODEL --plan`.\n" +
          budget_help());
  cmd->add_option("INPUT", opts->input, "HuggingFace model directory, or a manifest.json from `swan analyze`")
      ->required()
      ->check(CLI::ExistingPath);
  cmd->add_option("--model", opts->model, "model directory of a manifest INPUT (default: the manifest's \"model\")")
      ->check(CLI::ExistingDirectory);
  add_budget_options(*cmd, opts->budget);
  cmd->add_option("-o,--output", opts->output, "where to write the plan (swan-plan/1 JSON, written atomically)")
      ->capture_default_str();
  cmd->add_option("--dtype", opts->dtype, "float dtype of the output the plan is priced for (default: torch_dtype)")
      ->check(CLI::IsMember({"float16", "bfloat16", "float32"}));
  cmd->add_option("--scales", opts->scales,
                  "the quantizer the plan is priced for and records (as `convert --scales`): minmax or optimized")
      ->check(CLI::IsMember({"minmax", "optimized"}))
      ->capture_default_str();
  cmd->add_option("--threads", opts->threads, "worker threads (default: all cores)")->check(CLI::NonNegativeNumber);
  add_equalize_option(*cmd, opts->equalize);
  cmd->add_flag("--json", opts->json, "print the summary as JSON on stdout");
  cmd->add_flag("-q,--quiet", opts->quiet, "no progress line and no summary");
  cmd->callback([opts] {
    if (opts->threads > 0) omp_set_num_threads(opts->threads);
    const bool from_manifest = std::filesystem::is_regular_file(opts->input);
    std::optional<analysis::Manifest> manifest;
    std::string model_dir = opts->input;
    if (from_manifest) {
      manifest = analysis::read_manifest(opts->input);
      model_dir = opts->model.empty() ? manifest->model : opts->model;
      if (!std::filesystem::is_directory(model_dir))
        fail("manifest {} names the model directory '{}', which does not exist here; pass --model DIR",
             opts->input, model_dir);
    } else if (!opts->model.empty()) {
      fail("--model is only for a manifest INPUT; {} is already a model directory", opts->input);
    }
    const std::filesystem::path inputs[] = {opts->input, model_dir};
    require_output_apart_from_inputs(opts->output, inputs, "the plan");
    if (from_manifest && opts->equalize.given())
      fail("--equalize needs a model directory INPUT: the error curves of manifest {} were measured on the model "
           "as stored; pass the model directory (and give `swan quantize --plan` the same --equalize)",
           opts->input);
    ModelDirectory source(model_dir);
    equalize_if_asked(source, opts->equalize, opts->quiet || opts->json);
    if (manifest && manifest->run && manifest->run->fingerprint != analysis::fingerprint_model(source))
      fail("manifest {} was made from other files than {} (fingerprints differ); re-run `swan analyze`", opts->input,
           model_dir);
    const auto scales = quant::parse_scale_method(opts->scales);
    if (!manifest) manifest = analyze_for_plan(source, model_dir, opts->threads, opts->quiet, scales);
    const auto dtype = opts->dtype.empty() ? std::nullopt : std::optional(mlx::parse_output_dtype(opts->dtype));
    auto planned = plan_mlx_output(opts->budget, source, *manifest, dtype, scales, opts->quiet);
    planned.budget.plan.budget = plan::describe(to_budget(opts->budget));
    write_plan_file(planned.budget.plan, opts->output);
    const plan::BudgetOutcome outcome{&planned.budget, planned.budget_bytes, planned.output_bytes,
                                      planned.total_params};
    if (opts->json) {
      auto j = plan::summary_json(outcome);
      j["plan"] = opts->output;
      fmt::print("{}\n", j.dump(2));
    } else if (!opts->quiet) {
      fmt::print("{}plan written to {}\n", plan::format_summary(outcome), opts->output);
    }
  });
}

}  // namespace swan::cli
