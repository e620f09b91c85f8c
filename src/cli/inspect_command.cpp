// `swan inspect DIR [--json]`: per-tensor bits/bytes/params of an HF or MLX directory and,
// for MLX directories, every reason mlx_lm's loader would reject it (exit 1 if any).
#include <fmt/core.h>

#include <memory>

#include "cli/commands.h"
#include "swan/gguf/inspect.h"
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
      "violation (exit status 1 if there is any). For a GGUF file: its tensors with ggml types,\n"
      "sizes and bits per weight, and every check llama.cpp's loader makes (llama with or without experts, qwen2, qwen3, qwen3moe).");
  cmd->add_option("PATH", opts->directory, "model directory or GGUF file")->required()->check(CLI::ExistingPath);
  cmd->add_flag("--json", opts->json, "print the report as JSON");
  cmd->callback([opts] {
    if (!std::filesystem::is_directory(opts->directory) && gguf::looks_like_gguf(opts->directory)) {
      const auto report = gguf::inspect_gguf(opts->directory);
      if (opts->json) fmt::print("{}\n", gguf::to_json(report).dump(2));
      else fmt::print("{}", gguf::format_gguf_report(report));
      if (!report.ok()) exit_code() = 1;
      return;
    }
    const auto report = mlx::inspect_directory(opts->directory);
    if (opts->json) fmt::print("{}\n", mlx::to_json(report).dump(2));
    else fmt::print("{}", mlx::format_report(report));
    if (!report.ok()) exit_code() = 1;
  });
}

}  // namespace swan::cli
