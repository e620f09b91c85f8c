// What a byte budget means for a GGUF file, and the planner's options priced in it, so the
// format-neutral planner (plan/budget_choice.h) can give every quantizable tensor its own
// ggml type:
//   --target-size S  : the file's tensor data ≤ S, i.e. `total_bytes` of `swan inspect --json`
//                      (Σ of every tensor's ggml bytes, norms included; not the header,
//                      metadata or alignment padding, which no choice of types changes)
//   --target-bpw X   : `bits_per_weight` of `swan inspect --json` ≤ X, i.e. tensor data
//                      ≤ X · (elements of every tensor) / 8
//
// Options of a tensor: every ggml type swan writes (F32, F16, BF16, Q8_0, Q6_K, Q5_K, Q5_1,
// Q5_0, Q4_K, Q4_1, Q4_0, Q3_K, Q2_K) whose block divides its rows (ne0): a K type needs rows
// of a multiple of 256, the legacy types 32, so the shape fallback is built in rather than
// applied afterwards. Bytes are the type's exact bytes (quant::bytes_for); the error is
// measured with the real ggml quantizer (analysis/ggml_error_curve.h), sampled for large
// matrices. Norms, biases and rope_freqs stay F32, as llama-quantize keeps them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "swan/analysis/error_curve.h"
#include "swan/gguf/model_writer.h"
#include "swan/io/model_directory.h"
#include "swan/model/tensor_role.h"
#include "swan/plan/budget_plan.h"

namespace swan::gguf {

// The ggml types the planner chooses among, from the largest.
std::span<const quant::GgmlType> planner_types();

struct BudgetOption {
  quant::GgmlType type = quant::GgmlType::F32;
  std::uint64_t bytes = 0;
  double relative_error = 0.0;
};

struct BudgetTensor {
  std::string name;     // GGUF name
  std::string source;   // HF tensor name (expert 0's of a stacked expert tensor)
  std::vector<std::string> expert_sources;  // stacked MoE experts: every expert's HF tensor, in order
  std::uint64_t elements = 0;
  model::TensorRole role = model::TensorRole::other;
  bool serves_output = false;        // token_embd.weight of a model without output.weight
  std::vector<BudgetOption> options;  // legal types with finite error, in planner_types() order
};

struct BudgetSpace {
  std::vector<BudgetTensor> tensors;  // the quantizable tensors, in file order
  std::uint64_t fixed_bytes = 0;      // tensors no plan decides (F32 norms, biases, rope_freqs)
  std::uint64_t total_params = 0;     // elements of every tensor in the file
};

struct BudgetSpaceOptions {
  analysis::CurveSampling sampling;
  int threads = 0;  // matrices measured in parallel; <= 0: OpenMP's default
  // Called after each matrix, never concurrently.
  std::function<void(std::size_t done, std::size_t total)> progress;
};

// Reads every quantizable tensor once (widened to float32, one per thread) and measures its
// error curve over planner_types(). Throws swan::Error for a non-finite weight, naming it.
// Deterministic for any thread count.
BudgetSpace budget_space(const ModelDirectory& source, const BudgetSpaceOptions& options = {});

struct GgufBudgetPlan {
  TypeChoice choice;                    // a type for every quantizable tensor (overrides)
  std::vector<quant::GgmlType> types;   // per space tensor
  std::vector<double> weights;          // per space tensor: role prior or measured sensitivity
  std::uint64_t budget_bytes = 0;       // what the tensor data may have
  std::uint64_t tensor_bytes = 0;       // what it will have
  std::uint64_t total_params = 0;
  double objective = 0.0;               // Σ weight · relative error
  double lower_bound = 0.0;
  double bits_per_weight() const;       // as `swan inspect` reports it
};

// Budget → types, checked against the tensors the writer will lay out (plan_gguf_tensors).
// With `sensitivities` (keyed by HF tensor name), a tensor's weight is its measured
// sensitivity instead of its role prior. general.file_type names the type holding the most
// parameters. Throws swan::Error naming the smallest feasible size when the budget is below it.
GgufBudgetPlan plan_gguf_budget(const ModelDirectory& source, const BudgetSpace& space, const plan::Budget& budget,
                                const plan::BudgetRules& rules = {}, const plan::Sensitivities* sensitivities = nullptr);

// A few lines for the terminal: budget, result, parameters by type.
std::string format_gguf_budget_plan(const BudgetSpace& space, const GgufBudgetPlan& plan);

}  // namespace swan::gguf
