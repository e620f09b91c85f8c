// `swan inspect DIR [--json]`: per-tensor bits/bytes/params of an HF or MLX directory and,
// for MLX directories, every reason mlx_lm's loader would reject it (exit 1 if any).
#include <fmt/core.h>

#include <memory>

#include "cli/commands.h"
#include "swan/mlx/inspect.h"

namespace swan::cli {

void add_inspect_command(CLI::App& app) {
  struct Options {
    std::string directory;
    bool json = false;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "inspect",
      "Show what a HuggingFace or MLX model directory holds: a table of tensors (bits, group size,\n"
      "params, bytes), average bits per weight with and without scale/bias overhead, total size.\n"
      "For MLX directories, also check everything mlx_lm's loader demands and list each\n"
      "violation (exit status 1 if there is any).");
  cmd->add_option("DIR", opts->directory, "model directory")->required()->check(CLI::ExistingDirectory);
  cmd->add_flag("--json", opts->json, "print the report as JSON");
  cmd->callback([opts] {
    const auto report = mlx::inspect_directory(opts->directory);
    if (opts->json) fmt::print("{}\n", mlx::to_json(report).dump(2));
    else fmt::print("{}", mlx::format_report(report));
    if (!report.ok()) exit_code() = 1;
  });
}

}  // namespace swan::cli
