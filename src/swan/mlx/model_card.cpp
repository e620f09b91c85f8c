// README.md model card for swan's MLX outputs.
#include "swan/mlx/model_card.h"

#include <fmt/format.h>

namespace swan::mlx {

namespace {
std::string method_line(const plan::QuantPlan& plan) {
  if (plan.method() == "swan")
    return "SWAN (data-free, per-tensor mixed precision from weight statistics; no calibration data)";
  if (plan.method() == "uniform")
    return fmt::format("uniform affine quantization, {}", to_string(plan.defaults()));
  if (plan.method() == "none") return "no quantization (dtype conversion only)";
  return plan.method();
}

std::string scales_line(quant::ScaleMethod method) {
  if (method == quant::ScaleMethod::optimized)
    return "optimized per group (swan's data-free search for the lowest reconstruction error; plain MLX affine "
           "format)";
  return "min/max per group (MLX's own rule)";
}
}  // namespace

std::string model_card(const ModelCardInput& in) {
  const auto& s = *in.summary;
  const auto& plan = *in.plan;
  // Front matter as on mlx-community model cards, so hubs list the model under MLX.
  std::string out = "---\nlibrary_name: mlx\ntags:\n- mlx\n- swan\n---\n\n";
  out += fmt::format("# {} (MLX, {})\n\n", in.source_name, plan.method());
  out += fmt::format("This model was converted to MLX format from `{}` by swan {}.\n\n", in.source_name, SWAN_VERSION);
  out += "## Quantization\n\n";
  out += fmt::format("- Method: {}\n", method_line(plan));
  out += fmt::format("- Global setting (`quantization` in config.json): {}\n", to_string(plan.defaults()));
  if (plan.quantizes())
    out += fmt::format("- Scales and biases: {}\n", scales_line(plan.scale_method()));
  out += fmt::format("- Float dtype: {}\n", in.dtype);
  out += fmt::format("- Parameters: {}\n", s.total_params);
  out += fmt::format("- Size of the weights: {} ({} bytes)\n", format_bytes(s.total_bytes), s.total_bytes);
  out += fmt::format("- Average bits per weight: {:.3f} without scales/biases, {:.3f} with them\n\n",
                     s.bits_per_weight(), s.bits_per_weight_with_overhead());
  out += "| bits | parameters | share |\n|---:|---:|---:|\n";
  for (const auto& [bits, params] : s.params_by_bits())
    out += fmt::format("| {} | {} | {:.1f} % |\n", bits, params,
                       s.total_params ? 100.0 * static_cast<double>(params) / s.total_params : 0.0);
  out += "\n(16/32-bit rows are tensors kept in float: norms, biases and anything the plan kept float.)\n";
  bool any_fallback = false;
  for (const auto& p : s.parameters) {
    if (p.note.empty()) continue;
    if (!any_fallback) out += "\n## Group-size fallbacks\n\n";
    any_fallback = true;
    out += fmt::format("- `{}`: {}\n", p.name, p.note);
  }
  out += "\n## Use with mlx\n\n```bash\npip install mlx-lm\nmlx_lm.generate --model <this directory> --prompt \"Hello\"\n```\n";
  return out;
}

}  // namespace swan::mlx
