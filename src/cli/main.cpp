// swan: data-free mixed-precision quantization of HuggingFace models for MLX (and later
// GGUF). This file only wires subcommands together; each lives in its own *_command.cpp.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <exception>

#include "cli/commands.h"
#include "cli/openmp_environment.h"
#include "swan/core/error.h"

namespace swan::cli {
int& exit_code() {
  static int code = 0;
  return code;
}
std::string& command_line() {
  static std::string line;
  return line;
}
namespace {
std::string shell_quoted(std::string_view word) {
  const bool plain = !word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                             "0123456789-_./=:,+@%") == std::string_view::npos;
  if (plain) return std::string(word);
  std::string out = "'";
  for (const char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}
}  // namespace
}  // namespace swan::cli

int main(int argc, char** argv) {
  swan::cli::wait_passively_unless_configured(argv);
  auto& line = swan::cli::command_line();
  line = "swan";
  for (int i = 1; i < argc; ++i) line += " " + swan::cli::shell_quoted(argv[i]);
  CLI::App app{
      "swan — data-free mixed-precision quantization for LLMs.\n"
      "Reads a HuggingFace model directory (config.json + safetensors), measures how sensitive\n"
      "each tensor is to quantization (SWAN's four metrics, no calibration data), gives each\n"
      "tensor its own precision and writes an MLX model that mlx_lm loads unchanged.\n\n"
      "Typical use:\n"
      "  swan analyze MODEL_DIR -o manifest.json      # per-tensor sensitivity + bit decisions\n"
      "  swan convert MODEL_DIR -o OUT_DIR --method swan\n"
      "  swan convert MODEL_DIR -o OUT_DIR --target-bpw 4.5  # bits per tensor under a byte budget\n"
      "  swan inspect OUT_DIR                         # what was written, and is it loadable\n"
      "  swan eval kld MODEL_DIR OUT_DIR --text FILE  # what the quantization cost\n"
      "  swan generate OUT_DIR --prompt TEXT          # see it talk\n"
      "  swan report OUT_DIR manifest.json *.json -o report.html  # one page: bits, costs, quality\n",
      "swan"};
  app.set_version_flag("--version", std::string("swan ") + SWAN_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  swan::cli::add_analyze_command(app);
  swan::cli::add_plan_command(app);
  swan::cli::add_quantize_command(app);
  swan::cli::add_convert_command(app);
  swan::cli::add_inspect_command(app);
  swan::cli::add_eval_command(app);
  swan::cli::add_generate_command(app);
  swan::cli::add_report_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help/--version exit 0; every usage error exits 2, as documented.
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const swan::Error& e) {
    fmt::print(stderr, "swan: error: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "swan: error: {}\n", e.what());
    return 1;
  }
  return swan::cli::exit_code();
}
