// QuantPlan: the typed result of allocation — per tensor, the precision it will be written
// in — plus the global defaults a format writer records (mlx_lm's config `quantization`).
//
// A decision is either affine quantization {bits ∈ {2,3,4,5,6,8}, group_size ∈ {32,64,128}}
// or "keep float" (bits 16: the tensor stays in the model dtype). Builders (builders.h) fill
// a plan from a rule (uniform) or from a SWAN manifest; a byte-budget planner can produce
// the same type, and writers (MLX now, GGUF later) consume it without knowing who made it.
// Tensors are keyed by the *target* parameter name (for MLX: the mlx_lm parameter, e.g. a
// stacked switch_mlp tensor); `sources` keeps the HF names it was made of.
//
// Group-size fallback (MLX needs the last dim divisible by the group size): when it is
// not, the next smaller group size is tried (128 → 64 → 32); if none divides, the tensor
// is kept float. mlx_lm's uniform -q never tries smaller groups (it keeps such a layer
// float), so a plan that must match it asks for GroupSizeFallback::keep_float. The requested and the final decision are both kept, so summaries can
// report every fallback. The plan does not read tensors: it only needs names and shapes.
//
// The plan also names the scale method every quantized tensor is written with (minmax or
// optimized, quant/scale_method.h): one choice for the whole model, so the error curves a
// planner builds and the file a writer produces come from the same quantizer.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "swan/quant/scale_method.h"

namespace swan::plan {

inline constexpr int kFloatBits = 16;

struct QuantDecision {
  int bits = kFloatBits;  // 2,3,4,5,6,8: affine-quantized; 16: kept float
  int group_size = 0;     // 32, 64 or 128 when quantized; 0 when float

  static QuantDecision keep_float() { return {}; }
  // Validates bits and group size, throwing swan::Error naming the bad value.
  static QuantDecision quantized(int bits, int group_size);
  bool is_quantized() const { return bits != kFloatBits; }
  friend bool operator==(const QuantDecision&, const QuantDecision&) = default;
};

std::string to_string(QuantDecision decision);  // "4-bit g64" or "float"

// A tensor a plan may quantize: its name in the target format, logical shape, and the
// source tensors it comes from.
struct PlanTarget {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<std::string> sources;  // empty means {name}
};

struct TensorPlan {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<std::string> sources;
  QuantDecision requested;  // what the builder asked for
  QuantDecision decision;   // what will be written, after the group-size fallback
  std::string reason;       // why the builder chose `requested` (e.g. "uniform", "swan: default")

  bool fell_back() const { return requested != decision; }
  std::string fallback_note() const;  // "" when no fallback
  std::int64_t num_elements() const;
};

enum class GroupSizeFallback {
  smaller_groups,  // 128 → 64 → 32, then float (swan's own choice: SWAN mode, planner)
  keep_float,      // float at once, as mlx_lm.convert -q does
};

// The fallback rule above, applied to one tensor's last dimension.
QuantDecision fit_group_size(QuantDecision requested, std::int64_t last_dim,
                             GroupSizeFallback fallback = GroupSizeFallback::smaller_groups);

class QuantPlan {
 public:
  // `method` names the builder ("uniform", "swan", "manual", ...); `defaults` are the global
  // bits/group size (a float `defaults` means "no quantization at all").
  QuantPlan(std::string method, QuantDecision defaults);

  const std::string& method() const { return method_; }
  QuantDecision defaults() const { return defaults_; }
  bool quantizes() const { return defaults_.is_quantized(); }

  quant::ScaleMethod scale_method() const { return scale_method_; }
  void set_scale_method(quant::ScaleMethod method) { scale_method_ = method; }

  // Adds (or replaces) the decision for `target`, applying the group-size fallback.
  const TensorPlan& set(const PlanTarget& target, QuantDecision requested, std::string reason,
                        GroupSizeFallback fallback = GroupSizeFallback::smaller_groups);

  const std::vector<TensorPlan>& tensors() const { return tensors_; }
  const TensorPlan* find(std::string_view name) const;
  std::vector<const TensorPlan*> fallbacks() const;

  // mlx_lm's mixed recipes write a per-module dict for *every* quantized module, not only
  // for those that differ from the defaults; set this to reproduce that layout.
  bool list_every_module = false;
  // The budget the plan was made for (plan/budget_choice.h's describe(); empty when none),
  // for reports. Not the command line: a plan must be byte-identical for the same input and
  // budget, whatever it is saved as.
  std::string budget;

 private:
  std::string method_;
  QuantDecision defaults_;
  quant::ScaleMethod scale_method_ = quant::ScaleMethod::minmax;  // what mlx_lm.convert does
  std::vector<TensorPlan> tensors_;
  std::unordered_map<std::string, std::size_t> index_;
};

// Storage of one tensor under a decision: packed codes plus one scale and one bias per
// group, each `scale_bytes` wide (the model dtype); float tensors cost elements × float_bytes.
std::uint64_t quantized_bytes(std::int64_t elements, QuantDecision decision, std::size_t scale_bytes);

// Save / reload ("schema": "swan-plan/1"). "scales" holds the scale method; plans saved
// before it existed have none and were written with minmax, so absent means minmax.
nlohmann::ordered_json to_json(const QuantPlan& plan);
QuantPlan plan_from_json(const nlohmann::json& json);

}  // namespace swan::plan
