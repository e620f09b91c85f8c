// `--equalize[=POINTS]` on convert, quantize and plan: the function-preserving rescaling of
// equalize/equalized_model.h applied to the opened model before anything reads its tensors.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "swan/io/model_directory.h"

namespace swan::cli {

struct EqualizeOption {
  std::string points;          // the option's value; empty: the default folding points
  CLI::Option* option = nullptr;
  bool given() const { return option != nullptr && option->count() > 0; }
};

void add_equalize_option(CLI::App& command, EqualizeOption& equalize);

// Rescales `source` when --equalize was given; prints one line unless quiet.
void equalize_if_asked(ModelDirectory& source, const EqualizeOption& equalize, bool quiet);

}  // namespace swan::cli
