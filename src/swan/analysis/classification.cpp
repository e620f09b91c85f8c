#include "swan/analysis/classification.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "swan/core/error.h"

namespace swan::analysis {
namespace {

constexpr std::array<std::string_view, 11> kProtected{
    "embed_tokens", "lm_head",       "layernorm",           "layer_norm",      "norm.weight",    "router.weight",
    "vision_model", "multi_modal_projector", "positional_embedding", "class_embedding", "patch_embedding"};

bool contains(std::string_view haystack, std::span<const std::string_view> patterns) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](std::string_view p) { return haystack.find(p) != std::string_view::npos; });
}

}  // namespace

std::string_view class_name(TensorClass c) {
  switch (c) {
    case TensorClass::protected_tensor: return "protected";
    case TensorClass::sensitive: return "sensitive";
    case TensorClass::default_tensor: return "default";
  }
  return "default";
}

TensorClass parse_class_name(std::string_view name) {
  if (name == "protected") return TensorClass::protected_tensor;
  if (name == "sensitive") return TensorClass::sensitive;
  if (name == "default") return TensorClass::default_tensor;
  fail("unknown tensor classification \"{}\" (expected protected, sensitive or default)", name);
}

std::span<const std::string_view> protected_patterns() { return kProtected; }
std::span<const std::string_view> sensitive_patterns() { return {}; }

TensorClass classify_tensor(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (contains(lower, protected_patterns())) return TensorClass::protected_tensor;
  if (contains(lower, sensitive_patterns())) return TensorClass::sensitive;
  return TensorClass::default_tensor;
}

}  // namespace swan::analysis
