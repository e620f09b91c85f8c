#include "cli/equalize_option.h"

#include <fmt/core.h>

#include "swan/equalize/equalized_model.h"

namespace swan::cli {

void add_equalize_option(CLI::App& command, EqualizeOption& equalize) {
  equalize.option =
      command
          .add_option("--equalize", equalize.points,
                      "experimental, opt-in, dense models: rescale input channels where the float model's function stays the same "
                      "(q/k/v and gate/up columns against their RMSNorm, down_proj columns against up_proj rows, "
                      "o_proj columns against v_proj rows, an untied lm_head against the final norm), each channel's "
                      "factor balancing the matrices' column RMS (Sinkhorn-style, data-free). POINTS: all, norms, or "
                      "a comma-separated list of attention_input, mlp_input, mlp_down, attention_output, output_head "
                      "(default without a value: norms = attention_input, mlp_input, output_head). It did not lower "
                      "KL-divergence consistently: README, \"Optimized scales\", has the measurements")
          ->expected(0, 1);
}

void equalize_if_asked(ModelDirectory& source, const EqualizeOption& equalize, bool quiet) {
  if (!equalize.given()) return;
  equalize::EqualizeOptions options;
  if (!equalize.points.empty()) options.points = equalize::parse_fold_points(equalize.points);
  const auto summary = equalize::equalize_model(source, options);
  if (!quiet) fmt::print(stderr, "{}", equalize::format_summary(summary));
}

}  // namespace swan::cli
