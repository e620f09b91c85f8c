#include "cli/gguf_output.h"

#include <fmt/core.h>

#include <filesystem>
#include <map>
#include <memory>
#include <span>

#include "cli/commands.h"
#include "swan/core/error.h"
#include "swan/core/progress.h"
#include "swan/gguf/budget.h"
#include "swan/gguf/model_writer.h"
#include "swan/io/model_directory.h"
#include "swan/mlx/layout.h"
#include "swan/quant/ggml_type.h"

namespace swan::cli {
namespace {

void usage_error(const std::string& message) {
  fmt::print(stderr, "swan: error: {}\n", message);
  exit_code() = 2;
}

}  // namespace

void add_gguf_options(CLI::App& command, GgufOptions& options) {
  command.add_option("--format", options.format, "output format: mlx (a directory, default) or gguf (one file)")
      ->check(CLI::IsMember({"mlx", "gguf"}));
  command.add_option("--type", options.type,
                     "gguf: every quantizable tensor in this ggml type (llama-quantize --pure): F32, F16, BF16, "
                     "Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K");
  command.add_option("--preset", options.preset,
                     "gguf: llama-quantize's per-tensor recipe: Q2_K, Q3_K_S, Q3_K_M, Q3_K_L, Q4_K_S, Q4_K_M, "
                     "Q5_K_S, Q5_K_M, Q6_K, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, F16, BF16, F32");
  command.add_option("--name", options.name, "gguf: general.name (default: the model directory's name)");
}

std::string gguf_budget_help() {
  return "GGUF budget (--format gguf): --target-size S means the file's tensor data <= S, i.e. `total_bytes`\n"
         "of `swan inspect FILE.gguf --json` (every tensor's ggml bytes, norms included; not the header and\n"
         "metadata); --target-bpw X means its `bits_per_weight` <= X (8 x tensor data / all elements). Each\n"
         "quantizable tensor gets the ggml type (F32, F16, BF16, Q8_0, Q6_K, Q5_K, Q5_1, Q5_0, Q4_K, Q4_1,\n"
         "Q4_0, Q3_K, Q2_K) that fits its rows, priced in real bytes and measured with ggml's quantizer.";
}

namespace {

// The HF tensor each planner target is looked up by in a GGUF budget space: its own, or for
// stacked experts expert 0's (what BudgetTensor::source names).
std::string source_key(const plan::PlanTarget& target) {
  return target.sources.empty() ? target.name : target.sources.front();
}

// The meter's weights (keyed by planner target names) keyed as plan_gguf_budget looks them up.
plan::Sensitivities keyed_by_source(const plan::Sensitivities& weights, std::span<const plan::PlanTarget> targets) {
  plan::Sensitivities out;
  for (const auto& target : targets)
    if (const auto it = weights.find(target.name); it != weights.end()) out[source_key(target)] = it->second;
  return out;
}

// How a GGUF plan stores each planner target, for the meter: its ggml type when block-quantized;
// F32/F16/BF16 count as float (the measurement's float model).
sensitivity::PlacedPlan placed_gguf_plan(const gguf::BudgetSpace& space, const gguf::GgufBudgetPlan& planned,
                                         std::span<const plan::PlanTarget> targets) {
  std::map<std::string, quant::GgmlType, std::less<>> type_of_source;
  for (std::size_t i = 0; i < space.tensors.size(); ++i) type_of_source[space.tensors[i].source] = planned.types[i];
  sensitivity::PlacedPlan out;
  for (const auto& target : targets) {
    const auto it = type_of_source.find(source_key(target));
    if (it != type_of_source.end() && quant::is_block_quantized(it->second)) out.formats.emplace_back(it->second);
    else out.formats.emplace_back();
  }
  return out;
}

// The planner's types for every quantizable tensor, with a progress line for the measurement.
gguf::TypeChoice planned_choice(const ModelDirectory& source, const BudgetOptions& budget, const OutputOptions& output) {
  std::unique_ptr<Progress> progress;
  gguf::BudgetSpaceOptions space_options;
  space_options.progress = [&](std::size_t done, std::size_t total) {
    if (!progress) progress = std::make_unique<Progress>("measuring ggml error curves", total, "tensors", !output.quiet);
    progress->update(done);
  };
  const auto space = gguf::budget_space(source, space_options);
  if (progress) progress->finish();
  const auto targets = mlx::quantizable_targets(source);
  const auto plan_with = [&](const plan::Sensitivities* weights) {
    if (!weights) return gguf::plan_gguf_budget(source, space, to_budget(budget), budget_rules(budget));
    const auto keyed = keyed_by_source(*weights, targets);
    return gguf::plan_gguf_budget(source, space, to_budget(budget), budget_rules(budget), &keyed);
  };
  // The measurement's probes and the affine part of a placement use min/max scales: a GGUF
  // file has no other.
  const auto weights = measured_sensitivities(
      budget, source, quant::ScaleMethod::minmax,
      [&](const plan::Sensitivities& w) { return placed_gguf_plan(space, plan_with(&w), targets); }, output.quiet);
  const auto planned = plan_with(weights ? &*weights : nullptr);
  if (!output.quiet) fmt::print("{}", gguf::format_gguf_budget_plan(space, planned));
  return planned.choice;
}

}  // namespace

void write_gguf_output(const std::string& model_dir, const GgufOptions& gguf, const OutputOptions& output,
                       const BudgetOptions& budget, bool mlx_flags_given) {
  if (mlx_flags_given || !output.dtype.empty() || !output.scales.empty())
    return usage_error("--format gguf takes --type, --preset or --target-bpw/--target-size; -q, --bits, --group-size, "
                       "--method, --dtype and --scales are for MLX output");
  if ((!gguf.type.empty()) + (!gguf.preset.empty()) + budget.given() != 1)
    return usage_error("--format gguf needs exactly one of --type T (uniform), --preset P (llama-quantize's recipe) or "
                       "--target-bpw X / --target-size SIZE (the byte-budget planner)");
  gguf::GgufWriteOptions options;
  options.force = output.force;
  if (!gguf.name.empty()) options.name = gguf.name;
  if (budget.given()) {
    if (gguf.format != "gguf") return usage_error("--target-bpw/--target-size write GGUF only with --format gguf");
  } else if (!gguf.type.empty()) {
    const auto type = quant::parse_ggml_type(gguf.type);
    if (!type) return usage_error(fmt::format("unknown --type '{}'; use one of F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K", gguf.type));
    options.choice.preset = gguf::preset_for_type(*type);
    options.choice.pure = true;
  } else {
    const auto preset = gguf::parse_preset(gguf.preset);
    if (!preset) return usage_error(fmt::format("unknown --preset '{}'; use one of Q2_K, Q3_K_S, Q3_K_M, Q3_K_L, Q4_K_S, Q4_K_M, Q5_K_S, Q5_K_M, Q6_K, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, F16, BF16, F32", gguf.preset));
    options.choice.preset = *preset;
  }
  if (gguf.format != "gguf") return usage_error("--type and --preset need --format gguf");
  const ModelDirectory source(model_dir);
  warn_about_output_head(source, output.quiet);
  if (budget.given()) {
    // Refused before the measurement rather than after it (the writer checks again).
    if (!output.force && std::filesystem::exists(output.output))
      fail("output file {} exists; pass --force to replace it", output.output);
    options.choice = planned_choice(source, budget, output);
  }
  std::shared_ptr<Progress> progress;
  options.on_tensor = [&progress, quiet = output.quiet](std::size_t index, std::size_t count, const std::string&) {
    if (!progress) progress = std::make_shared<Progress>("writing", count, "tensors", !quiet);
    progress->update(index);
  };
  const auto result = gguf::write_gguf_model(source, output.output, options);
  if (progress) progress->finish();
  if (!output.quiet) fmt::print("{}", gguf::format_gguf_write_result(result));
}

}  // namespace swan::cli
