// QuantPlan: decisions, the group-size fallback, size accounting and (de)serialisation.
#include "swan/plan/quant_plan.h"

#include <fmt/format.h>

#include "swan/core/error.h"
#include "swan/quant/affine.h"

namespace swan::plan {

namespace {
bool valid_bits(int bits) { return bits == 2 || bits == 3 || bits == 4 || bits == 5 || bits == 6 || bits == 8; }
bool valid_group_size(int group_size) { return group_size == 32 || group_size == 64 || group_size == 128; }
}  // namespace

QuantDecision QuantDecision::quantized(int bits, int group_size) {
  if (!valid_bits(bits)) fail("unsupported bit width {}: MLX affine quantization supports 2, 3, 4, 5, 6 and 8", bits);
  if (!valid_group_size(group_size))
    fail("unsupported group size {}: MLX supports 32, 64 and 128", group_size);
  return {bits, group_size};
}

std::string to_string(QuantDecision decision) {
  if (!decision.is_quantized()) return "float";
  return fmt::format("{}-bit g{}", decision.bits, decision.group_size);
}

std::int64_t TensorPlan::num_elements() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::string TensorPlan::fallback_note() const {
  if (!fell_back()) return {};
  const std::int64_t last = shape.empty() ? 0 : shape.back();
  return fmt::format("last dim {} not divisible by group size {}: {} instead of {}", last, requested.group_size,
                     to_string(decision), to_string(requested));
}

QuantDecision fit_group_size(QuantDecision requested, std::int64_t last_dim, GroupSizeFallback fallback) {
  if (!requested.is_quantized()) return requested;
  const int smallest = fallback == GroupSizeFallback::smaller_groups ? 32 : requested.group_size;
  for (int group_size = requested.group_size; group_size >= smallest; group_size /= 2)
    if (last_dim > 0 && last_dim % group_size == 0) return {requested.bits, group_size};
  return QuantDecision::keep_float();
}

QuantPlan::QuantPlan(std::string method, QuantDecision defaults) : method_(std::move(method)), defaults_(defaults) {
  if (defaults.is_quantized()) QuantDecision::quantized(defaults.bits, defaults.group_size);  // validate
}

const TensorPlan& QuantPlan::set(const PlanTarget& target, QuantDecision requested, std::string reason,
                                  GroupSizeFallback fallback) {
  if (requested.is_quantized()) QuantDecision::quantized(requested.bits, requested.group_size);
  if (target.shape.size() < 2 && requested.is_quantized())
    fail("tensor '{}' has {} dimension(s); only tensors with 2 or more can be quantized", target.name,
         target.shape.size());
  TensorPlan entry{target.name,
                   target.shape,
                   target.sources.empty() ? std::vector<std::string>{target.name} : target.sources,
                   requested,
                   fit_group_size(requested, target.shape.empty() ? 0 : target.shape.back(), fallback),
                   std::move(reason)};
  if (auto it = index_.find(target.name); it != index_.end()) {
    tensors_[it->second] = std::move(entry);
    return tensors_[it->second];
  }
  index_[target.name] = tensors_.size();
  tensors_.push_back(std::move(entry));
  return tensors_.back();
}

const TensorPlan* QuantPlan::find(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

std::vector<const TensorPlan*> QuantPlan::fallbacks() const {
  std::vector<const TensorPlan*> out;
  for (const auto& t : tensors_)
    if (t.fell_back()) out.push_back(&t);
  return out;
}

std::uint64_t quantized_bytes(std::int64_t elements, QuantDecision decision, std::size_t scale_bytes) {
  const auto n = static_cast<std::uint64_t>(elements);
  if (!decision.is_quantized()) return n * scale_bytes;
  return quant::affine_storage_bytes(n, {decision.bits, decision.group_size}, scale_bytes);
}

namespace {
nlohmann::ordered_json decision_json(QuantDecision d) {
  nlohmann::ordered_json j;
  j["bits"] = d.bits;
  if (d.is_quantized()) j["group_size"] = d.group_size;
  return j;
}
QuantDecision decision_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object() || !j.contains("bits") || !j["bits"].is_number_integer())
    fail("plan JSON: {} needs an integer \"bits\"", where);
  const int bits = j["bits"].get<int>();
  if (bits == kFloatBits) return QuantDecision::keep_float();
  if (!j.contains("group_size") || !j["group_size"].is_number_integer())
    fail("plan JSON: {} is quantized ({} bits) but has no integer \"group_size\"", where, bits);
  return QuantDecision::quantized(bits, j["group_size"].get<int>());
}
}  // namespace

nlohmann::ordered_json to_json(const QuantPlan& plan) {
  nlohmann::ordered_json j;
  j["schema"] = "swan-plan/1";
  j["method"] = plan.method();
  j["defaults"] = decision_json(plan.defaults());
  j["scales"] = quant::to_string(plan.scale_method());
  j["list_every_module"] = plan.list_every_module;
  auto& tensors = j["tensors"] = nlohmann::ordered_json::array();
  for (const auto& t : plan.tensors()) {
    nlohmann::ordered_json e;
    e["name"] = t.name;
    e["shape"] = t.shape;
    e["sources"] = t.sources;
    e["requested"] = decision_json(t.requested);
    e["decision"] = decision_json(t.decision);
    e["reason"] = t.reason;
    tensors.push_back(std::move(e));
  }
  return j;
}

QuantPlan plan_from_json(const nlohmann::json& j) {
  if (!j.is_object() || j.value("schema", std::string{}) != "swan-plan/1")
    fail("plan JSON: expected an object with \"schema\": \"swan-plan/1\"");
  QuantPlan plan(j.value("method", std::string{"manual"}), decision_from_json(j.at("defaults"), "defaults"));
  plan.list_every_module = j.value("list_every_module", false);
  if (j.contains("scales") && !j["scales"].is_string())
    fail("plan JSON: \"scales\" must be a string, minmax or optimized");
  plan.set_scale_method(quant::parse_scale_method(j.value("scales", std::string{"minmax"})));
  for (const auto& e : j.at("tensors")) {
    const std::string name = e.at("name").get<std::string>();
    PlanTarget target{name, e.at("shape").get<std::vector<std::int64_t>>(),
                      e.value("sources", std::vector<std::string>{})};
    const auto& entry = plan.set(target, decision_from_json(e.at("requested"), name), e.value("reason", std::string{}));
    if (e.contains("decision") && decision_from_json(e["decision"], name) != entry.decision)
      fail("plan JSON: tensor '{}' records decision {} but its shape gives {}", name,
           to_string(decision_from_json(e["decision"], name)), to_string(entry.decision));
  }
  return plan;
}

}  // namespace swan::plan
