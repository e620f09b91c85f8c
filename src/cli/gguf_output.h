// The GGUF branch of `swan convert` (--format gguf): its options and the write step.
// Kept apart from convert_command.cpp so the MLX path and the planner options there stay
// untouched by GGUF changes.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "cli/budget_options.h"
#include "cli/write_output.h"

namespace swan::cli {

struct GgufOptions {
  std::string format = "mlx";  // mlx | gguf
  std::string type;            // uniform ggml type (llama-quantize --pure)
  std::string preset;          // llama-quantize preset
  std::string name;            // general.name
};

// Declares --format, --type, --preset and --name on `convert`.
void add_gguf_options(CLI::App& command, GgufOptions& options);

// What a budget means for GGUF output, for --help.
std::string gguf_budget_help();

// Validates the combination (usage errors exit 2 via exit_code()) and writes the GGUF file:
// a uniform --type, a --preset, or the byte-budget planner (`budget` given: every quantizable
// tensor's ggml type chosen under the budget, gguf/budget.h). `mlx_flags_given` says whether
// MLX-only options (-q, --bits, --group-size, --method, --dtype) were used, which GGUF output
// refuses.
void write_gguf_output(const std::string& model_dir, const GgufOptions& gguf, const OutputOptions& output,
                       const BudgetOptions& budget, bool mlx_flags_given);

}  // namespace swan::cli
