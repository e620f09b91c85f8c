// Name classification (spec §3): case-insensitive substring match on the full tensor
// name, protected patterns first, then sensitive ones (an empty list by default).
// Note: a Qwen-MoE router named "mlp.gate.weight" matches nothing; "*.q_norm.weight"
// matches "norm.weight".
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace swan::analysis {

enum class TensorClass { protected_tensor, sensitive, default_tensor };

std::string_view class_name(TensorClass c);  // "protected" | "sensitive" | "default"
TensorClass parse_class_name(std::string_view name);  // throws on anything else

std::span<const std::string_view> protected_patterns();
std::span<const std::string_view> sensitive_patterns();

TensorClass classify_tensor(std::string_view name);

}  // namespace swan::analysis
