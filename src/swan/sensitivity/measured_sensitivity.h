// Measured sensitivity, still without a dataset: how much each tensor's quantization error
// moves the model's own predictions.
//
//  1. Text: the float model writes its own — `sequences` samples of `length` tokens from BOS
//     (seeded; temperature 1, nucleus top-p), so no corpus is needed and the text is what the
//     model itself finds likely.
//  2. Probe: for each target, only that tensor is quantized (the probe format, with the
//     writer's quantizer), the model is run over the text, and the mean KL-divergence of its
//     next-token distribution from the float model's is measured.
//  3. Sensitivity = KLD / relative_error of the probe. By the linearity of small errors
//     (HIGGS), Σ_t sensitivity_t · relative_error_t(option_t) then predicts the KLD of a whole
//     plan, which is the objective the planner minimises.
// Cost: (targets + 1) forward passes over sequences x length tokens, plus generation.
// Dense models only (the forward pass has no MoE layers).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "swan/plan/budget_plan.h"
#include "swan/plan/quant_plan.h"
#include "swan/quant/affine.h"

namespace swan::sensitivity {

struct SensitivityOptions {
  int sequences = 4;
  int length = 128;
  std::uint64_t seed = 0;
  double top_p = 0.95;
  quant::AffineFormat probe{4, 64};
};

struct TensorSensitivity {
  std::string name;
  quant::AffineFormat probe;     // the format actually probed (group size fitted to the shape)
  double relative_error = 0.0;   // of the probe
  double kld = 0.0;              // mean KLD with only this tensor quantized
  double sensitivity = 0.0;      // kld / relative_error
};

struct SensitivityReport {
  std::vector<std::int32_t> text;  // the self-generated tokens, sequences x length
  std::vector<TensorSensitivity> tensors;
  std::uint64_t forward_tokens = 0;  // tokens pushed through the model in total
  double cpu_seconds = 0.0;

  plan::Sensitivities weights() const;
};

using SensitivityProgress = std::function<void(std::size_t done, std::size_t total)>;

// `targets` are the planner's targets (one source tensor each). Throws swan::Error for MoE
// models or a model without a BOS token.
SensitivityReport measure_sensitivities(const std::filesystem::path& model_dir,
                                        std::span<const plan::PlanTarget> targets, const SensitivityOptions& options,
                                        const SensitivityProgress& progress = {});

}  // namespace swan::sensitivity
