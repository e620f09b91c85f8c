// Each subcommand lives in its own file and registers itself on the top-level app.
// A command's callback parses nothing itself beyond CLI11 options and calls the library.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace swan::cli {

void add_analyze_command(CLI::App& app);
void add_quantize_command(CLI::App& app);
void add_convert_command(CLI::App& app);
void add_inspect_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_plan_command(CLI::App& app);
void add_generate_command(CLI::App& app);
void add_report_command(CLI::App& app);

// Exit code a command's callback sets for the process (0 unless it says otherwise).
int& exit_code();

// The command line swan was started with, shell-quoted where needed ("swan convert ..."), so
// outputs can record what made them.
std::string& command_line();

}  // namespace swan::cli
