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
//  4. In context (refine_in_context): linearity fails when the whole model is damaged (KLD of
//     several tenths of a nat, as at ~3 bits on small models): errors compound, and one
//     tensor's cost depends on what the others do — on stories260k, five o_proj at 2 bits cost
//     3x the sum of their isolated KLDs. So the planner's first plan is measured as a whole
//     and each tensor's slope is taken where that plan puts it: its KLD with the rest of the
//     plan in place, minus the KLD with it restored to float (or, for a tensor the plan keeps
//     float, with it quantized at the probe), per unit of its relative error. The planner then
//     plans again with those slopes, and keeps the refined plan only if its KLD on the text is
//     clearly lower than the first's (plan_scores, paired token by token; the rule is the
//     caller's): it wins where errors compound (stories260k at 3 bits); where they do not,
//     the second round's noise costs more than it corrects (stories260k at 4 bits).
// Cost: (targets + 1) forward passes over sequences x length tokens, plus generation; the
// in-context round as many again. A probe's pass starts at its tensor's layer: the residual
// stream entering every layer is recorded once (the float model's for the isolated round, the
// plan's for the in-context one; each (layers + 1) x sequences x length x hidden floats), so a
// tensor in layer l pays for layers l.. only and an untied lm_head for the logits alone —
// about half the layers' work on average, the same numbers bit for bit. Threads: probes are
// independent, so they run concurrently, each on its own view of the model (a copy sharing the
// mapped weights, with its own matrices swapped in), every (probe, sequence) pass on one
// thread — all cores are busy for any core count, and the numbers (so the plans) are those of
// a one-thread run for any --threads. MoE models too: a
// target that stacks experts (one decision for all of a layer's gate, up or down experts)
// is probed with every expert quantized, its relative error taken over all of them; a router
// is probed like any matrix (the planner still keeps it at >= 8 bits).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "swan/eval/token_scores.h"
#include "swan/plan/budget_plan.h"
#include "swan/plan/quant_plan.h"
#include "swan/quant/affine.h"
#include "swan/quant/ggml_type.h"
#include "swan/quant/scale_method.h"

namespace swan::sensitivity {

struct SensitivityOptions {
  int sequences = 4;
  int length = 128;
  std::uint64_t seed = 0;
  double top_p = 0.95;
  quant::AffineFormat probe{4, 64};
};

// How a plan stores one target: MLX affine codes, or a ggml block type (GGUF).
using TargetFormat = std::variant<quant::AffineFormat, quant::GgmlType>;

// A whole plan as the meter puts it in place, whatever the output format: per target, in the
// meter's target order, its format (nothing: kept float); affine targets use `scales`.
struct PlacedPlan {
  std::vector<std::optional<TargetFormat>> formats;
  quant::ScaleMethod scales = quant::ScaleMethod::minmax;
};

struct TensorSensitivity {
  std::string name;
  TargetFormat probe;            // the format actually probed (group size fitted to the shape)
  double relative_error = 0.0;   // of the probe
  double kld = 0.0;              // mean KLD with only this tensor quantized (in context: the
                                 // KLD this tensor adds to the rest of the plan)
  double sensitivity = 0.0;      // kld / relative_error
};

struct SensitivityReport {
  std::vector<std::int32_t> text;  // the self-generated tokens, sequences x length
  std::vector<TensorSensitivity> tensors;
  std::uint64_t forward_tokens = 0;  // tokens pushed through the model in total
  double cpu_seconds = 0.0;
  double plan_kld = 0.0;  // in context: mean KLD of the whole plan the slopes were taken at
  std::vector<eval::TokenScore> plan_scores;  // and each position's, for paired comparisons

  plan::Sensitivities weights() const;
};

using SensitivityProgress = std::function<void(std::size_t done, std::size_t total)>;

// Holds the float model, its self-generated text and its log-probabilities over that text,
// so that several rounds of measurement share one generation.
class SensitivityMeter {
 public:
  // `targets` are the planner's targets (one source tensor each, or one per expert). Throws
  // swan::Error for a model without a BOS token.
  SensitivityMeter(const std::filesystem::path& model_dir, std::span<const plan::PlanTarget> targets,
                   const SensitivityOptions& options);
  ~SensitivityMeter();
  SensitivityMeter(const SensitivityMeter&) = delete;
  SensitivityMeter& operator=(const SensitivityMeter&) = delete;

  // Each target quantized alone at the probe format, with `scales`.
  SensitivityReport isolated(quant::ScaleMethod scales, const SensitivityProgress& progress = {});

  // Each target's slope with the rest of `plan` in place (step 4 above). Targets the plan
  // keeps float and no probe format fits stay out of the report; a float target's probe uses
  // the plan's scales.
  SensitivityReport in_context(const PlacedPlan& plan, const SensitivityProgress& progress = {});
  SensitivityReport in_context(const plan::QuantPlan& plan, const SensitivityProgress& progress = {});

  // Mean KLD of the whole plan over the text (one forward pass).
  double plan_kld(const PlacedPlan& plan);
  double plan_kld(const plan::QuantPlan& plan);
  // The same per position of the text (eval::compare_paired pairs two plans).
  std::vector<eval::TokenScore> plan_scores(const PlacedPlan& plan);

 private:
  SensitivityReport in_context(const PlacedPlan& plan, const SensitivityProgress& progress, bool slopes);
  struct State;
  std::unique_ptr<State> state_;
};

// An MLX plan as the meter places it: its decision for each target's name, in target order.
PlacedPlan placed_plan(const plan::QuantPlan& plan, std::span<const plan::PlanTarget> targets);

}  // namespace swan::sensitivity
