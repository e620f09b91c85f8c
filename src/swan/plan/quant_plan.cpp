// QuantPlan: decisions, the group-size fallback, size accounting and (de)serialisation.
#include "swan/plan/quant_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "swan/core/error.h"
#include "swan/io/json_excerpt.h"
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
// An int field of a plan entry, range-checked (3.5 or 2^32 + 4 are not bit widths).
int int_field(const nlohmann::json& j, const char* key, const std::string& where) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer())
    fail("plan JSON: {} needs an integer \"{}\"", where, key);
  const auto value = it->is_number_unsigned() ? static_cast<std::int64_t>(std::min<std::uint64_t>(
                                                    it->get<std::uint64_t>(), std::uint64_t{1} << 40))
                                              : it->get<std::int64_t>();
  if (value < 0 || value > 1024) fail("plan JSON: {}.{} is {}, not a bit width or group size", where, key, value);
  return static_cast<int>(value);
}

QuantDecision decision_from_json(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) fail("plan JSON: {} must be an object with \"bits\" (and \"group_size\")", where);
  const int bits = int_field(j, "bits", where);
  if (bits == kFloatBits) return QuantDecision::keep_float();
  if (!j.contains("group_size"))
    fail("plan JSON: {} is quantized ({} bits) but has no integer \"group_size\"", where, bits);
  try {
    return QuantDecision::quantized(bits, int_field(j, "group_size", where));
  } catch (const Error& e) {
    fail("plan JSON: {}: {}", where, e.what());
  }
}

// A member of a plan object, or an error naming it.
const nlohmann::json& member(const nlohmann::json& object, const char* key, const std::string& where) {
  if (!object.is_object()) fail("plan JSON: {} must be an object", where);
  const auto it = object.find(key);
  if (it == object.end()) fail("plan JSON: {} has no \"{}\"", where, key);
  return *it;
}

std::string string_field(const nlohmann::json& object, const char* key, const std::string& where,
                         std::optional<std::string> fallback = std::nullopt) {
  const auto it = object.find(key);
  if (it == object.end() && fallback) return *fallback;
  if (it == object.end() || !it->is_string()) fail("plan JSON: {}.{} must be a string", where, key);
  return it->get<std::string>();
}

std::vector<std::int64_t> shape_field(const nlohmann::json& entry, const std::string& where) {
  const auto& shape = member(entry, "shape", where);
  if (!shape.is_array() || shape.size() > 8) fail("plan JSON: {}.shape must be a list of at most 8 dimensions", where);
  std::vector<std::int64_t> dims;
  for (const auto& d : shape) {
    if (!d.is_number_integer() || d.get<std::int64_t>() <= 0 || d.get<std::int64_t>() > (std::int64_t{1} << 40))
      fail("plan JSON: {}.shape holds {}, not a positive dimension", where, json_excerpt(d));
    dims.push_back(d.get<std::int64_t>());
  }
  return dims;
}

std::vector<std::string> sources_field(const nlohmann::json& entry, const std::string& where) {
  std::vector<std::string> sources;
  const auto it = entry.find("sources");
  if (it == entry.end()) return sources;
  if (!it->is_array()) fail("plan JSON: {}.sources must be a list of tensor names", where);
  for (const auto& s : *it) {
    if (!s.is_string()) fail("plan JSON: {}.sources holds {}, not a tensor name", where, json_excerpt(s));
    sources.push_back(s.get<std::string>());
  }
  return sources;
}
}  // namespace

nlohmann::ordered_json to_json(const QuantPlan& plan) {
  nlohmann::ordered_json j;
  j["schema"] = "swan-plan/1";
  j["method"] = plan.method();
  j["defaults"] = decision_json(plan.defaults());
  j["scales"] = quant::to_string(plan.scale_method());
  j["list_every_module"] = plan.list_every_module;
  if (!plan.budget.empty()) j["budget"] = plan.budget;
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
  if (!j.is_object() || !j.contains("schema") || j["schema"] != "swan-plan/1")
    fail("plan JSON: expected an object with \"schema\": \"swan-plan/1\"");
  QuantPlan plan(string_field(j, "method", "the top level", "manual"),
                 decision_from_json(member(j, "defaults", "the top level"), "defaults"));
  if (j.contains("list_every_module")) {
    if (!j["list_every_module"].is_boolean()) fail("plan JSON: \"list_every_module\" must be true or false");
    plan.list_every_module = j["list_every_module"].get<bool>();
  }
  plan.set_scale_method(quant::parse_scale_method(string_field(j, "scales", "the top level", "minmax")));
  plan.budget = string_field(j, "budget", "the top level", "");
  const auto& tensors = member(j, "tensors", "the top level");
  if (!tensors.is_array()) fail("plan JSON: \"tensors\" must be a list");
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const auto& e = tensors[i];
    const std::string at = fmt::format("tensors[{}]", i);
    const std::string name = string_field(e, "name", at);
    const std::string where = fmt::format("tensor {}", text_excerpt(name));
    PlanTarget target{name, shape_field(e, where), sources_field(e, where)};
    const auto& entry = plan.set(target, decision_from_json(member(e, "requested", where), where + ".requested"),
                                 string_field(e, "reason", where, ""));
    if (e.contains("decision") && decision_from_json(e["decision"], where + ".decision") != entry.decision)
      fail("plan JSON: {} records decision {} but its shape gives {}", where,
           to_string(decision_from_json(e["decision"], where)), to_string(entry.decision));
  }
  return plan;
}

}  // namespace swan::plan
