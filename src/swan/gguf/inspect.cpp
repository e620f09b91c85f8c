// GGUF report and loader checks; see inspect.h.
#include "swan/gguf/inspect.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include "swan/core/float_formats.h"
#include "swan/gguf/recipe.h"
#include "swan/quant/ggml_quantize.h"

namespace swan::gguf {
namespace {

using quant::GgmlType;

// Byte offsets of the fp16 scales (d, dmin/m) inside each block (ggml-common.h layouts).
std::vector<std::size_t> scale_offsets(GgmlType type) {
  switch (type) {
    case GgmlType::Q8_0: case GgmlType::Q4_0: case GgmlType::Q5_0: return {0};
    case GgmlType::Q4_1: case GgmlType::Q5_1: case GgmlType::Q4_K: case GgmlType::Q5_K: return {0, 2};
    case GgmlType::Q2_K: return {80, 82};
    case GgmlType::Q3_K: return {108};
    case GgmlType::Q6_K: return {208};
    default: return {};
  }
}

// Index of the first non-finite value or block scale, or -1.
std::int64_t first_non_finite(GgmlType type, std::span<const std::byte> data) {
  auto bad16 = [](const std::byte* p, bool bf16) {
    std::uint16_t bits;
    std::memcpy(&bits, p, 2);
    return bf16 ? (bits & 0x7f80u) == 0x7f80u : (bits & 0x7c00u) == 0x7c00u;
  };
  if (type == GgmlType::F32) {
    for (std::size_t i = 0; i + 4 <= data.size(); i += 4) {
      float v;
      std::memcpy(&v, data.data() + i, 4);
      if (!std::isfinite(v)) return static_cast<std::int64_t>(i / 4);
    }
    return -1;
  }
  if (type == GgmlType::F16 || type == GgmlType::BF16) {
    for (std::size_t i = 0; i + 2 <= data.size(); i += 2)
      if (bad16(data.data() + i, type == GgmlType::BF16)) return static_cast<std::int64_t>(i / 2);
    return -1;
  }
  const std::size_t size = quant::block_bytes(type);
  const auto offsets = scale_offsets(type);
  for (std::size_t b = 0; b * size < data.size(); ++b)
    for (const auto o : offsets)
      if (bad16(data.data() + b * size + o, false)) return static_cast<std::int64_t>(b * quant::block_elements(type));
  return -1;
}

class Checker {
 public:
  Checker(const GgufFile& file, std::vector<std::string>& violations) : file_(file), v_(violations) {}

  template <typename... Args>
  void violation(fmt::format_string<Args...> format, Args&&... args) {
    v_.push_back(fmt::format(format, std::forward<Args>(args)...));
  }

  // The value of a key that must have `type` (nullopt, with a violation, otherwise).
  const Value* typed(const std::string& key, ValueType type, bool required) {
    const Value* v = file_.metadata().find(key);
    if (v == nullptr) {
      if (required) violation("key {} is missing; llama.cpp requires it", key);
      return nullptr;
    }
    if (v->type != type) {
      violation("key {} has type {}; llama.cpp reads it as {} and refuses other types", key, value_type_name(v->type),
                value_type_name(type));
      return nullptr;
    }
    return v;
  }
  std::optional<std::uint32_t> u32(const std::string& key, bool required) {
    const Value* v = typed(key, ValueType::UINT32, required);
    return v ? std::optional(std::get<std::uint32_t>(v->scalar)) : std::nullopt;
  }
  const Value* array(const std::string& key, ValueType element, bool required) {
    const Value* v = typed(key, ValueType::ARRAY, required);
    if (v != nullptr && v->element_type != element) {
      violation("key {} is an array of {}; llama.cpp reads {}", key, value_type_name(v->element_type),
                value_type_name(element));
      return nullptr;
    }
    return v;
  }

 private:
  const GgufFile& file_;
  std::vector<std::string>& v_;
};

void check_model(const GgufFile& file, GgufReport& report) {
  Checker check(file, report.violations);
  const Value* arch_value = check.typed("general.architecture", ValueType::STRING, true);
  if (arch_value == nullptr) return;
  const std::string arch = std::get<std::string>(arch_value->scalar);
  if (arch != "llama" && arch != "qwen2" && arch != "qwen3" && arch != "qwen3moe") {
    report.violations.push_back(
        fmt::format("architecture '{}': swan checks only llama, qwen2, qwen3 and qwen3moe files", arch));
    return;
  }
  const auto layers = check.u32(arch + ".block_count", true);
  check.u32(arch + ".context_length", true);
  const auto embedding = check.u32(arch + ".embedding_length", true);
  check.typed(arch + ".attention.layer_norm_rms_epsilon", ValueType::FLOAT32, true);
  const auto ff = check.u32(arch + ".feed_forward_length", true);
  const auto heads = check.u32(arch + ".attention.head_count", true);
  const auto kv_heads = check.u32(arch + ".attention.head_count_kv", false);
  check.typed(arch + ".rope.freq_base", ValueType::FLOAT32, false);
  const auto key_length = check.u32(arch + ".attention.key_length", false);
  const auto value_length = check.u32(arch + ".attention.value_length", false);
  const auto rope_dims = check.u32(arch + ".rope.dimension_count", false);
  const bool qwen3moe = arch == "qwen3moe";
  const auto experts = check.u32(arch + ".expert_count", qwen3moe);
  const auto experts_used = check.u32(arch + ".expert_used_count", qwen3moe || experts.value_or(0) > 0);
  const auto expert_ff = check.u32(arch + ".expert_feed_forward_length", false);
  if (experts.value_or(0) > 0 && experts_used && (*experts_used == 0 || *experts_used > *experts))
    check.violation("{}.expert_used_count {} is not in 1..expert_count {}", arch, *experts_used, *experts);
  check.u32("general.file_type", false);
  check.u32("general.quantization_version", false);

  // Tokenizer (llama-vocab.cpp).
  const Value* model = check.typed("tokenizer.ggml.model", ValueType::STRING, true);
  const Value* tokens = check.array("tokenizer.ggml.tokens", ValueType::STRING, true);
  const std::size_t vocab = tokens ? tokens->elements.size() : 0;
  if (const Value* types = check.array("tokenizer.ggml.token_type", ValueType::INT32, false); types && types->elements.size() != vocab)
    check.violation("tokenizer.ggml.token_type has {} entries for {} tokens", types->elements.size(), vocab);
  if (const Value* scores = check.array("tokenizer.ggml.scores", ValueType::FLOAT32, false); scores && scores->elements.size() != vocab)
    check.violation("tokenizer.ggml.scores has {} entries for {} tokens", scores->elements.size(), vocab);
  if (model && std::get<std::string>(model->scalar) == "gpt2") check.array("tokenizer.ggml.merges", ValueType::STRING, true);
  for (const char* key : {"bos_token_id", "eos_token_id", "unknown_token_id", "padding_token_id", "seperator_token_id"})
    check.u32(std::string("tokenizer.ggml.") + key, false);
  for (const char* key : {"add_bos_token", "add_eos_token"})
    check.typed(std::string("tokenizer.ggml.") + key, ValueType::BOOL, false);
  // A vocab-only file (no tensors) is what llama-tokenize loads; there is no tensor set to check.
  if (file.tensors().empty() || !layers || !embedding || !ff || !heads || *heads == 0) return;

  // The tensor set the architecture creates, with shapes (ne order).
  const std::uint64_t E = *embedding, F = *ff, H = *heads, Hkv = kv_heads.value_or(*heads);
  const std::uint64_t D = key_length.value_or(static_cast<std::uint32_t>(E / H)), Dv = value_length.value_or(static_cast<std::uint32_t>(D));
  if (arch == "llama" && rope_dims && *rope_dims != D)
    check.violation("llama.rope.dimension_count {} differs from the head size {} (llama.cpp: invalid n_rot)", *rope_dims, D);
  using Shape = std::vector<std::uint64_t>;
  std::map<std::string, std::pair<Shape, bool>> expected;  // name -> (ne, required)
  expected["token_embd.weight"] = {{E, vocab}, true};
  expected["output_norm.weight"] = {{E}, true};
  expected["output.weight"] = {{E, vocab}, false};
  if (arch == "llama") expected["rope_freqs.weight"] = {{rope_dims.value_or(static_cast<std::uint32_t>(D)) / 2}, false};
  if (arch == "qwen2") expected["output.bias"] = {{vocab}, false};
  for (std::uint32_t i = 0; i < *layers; ++i) {
    const std::string p = fmt::format("blk.{}.", i);
    expected[p + "attn_norm.weight"] = {{E}, true};
    expected[p + "attn_q.weight"] = {{E, H * D}, true};
    expected[p + "attn_k.weight"] = {{E, Hkv * D}, true};
    expected[p + "attn_v.weight"] = {{E, Hkv * Dv}, true};
    expected[p + "attn_output.weight"] = {{H * Dv, E}, true};
    expected[p + "ffn_norm.weight"] = {{E}, true};
    if (experts.value_or(0) > 0) {
      // llama.cpp: qwen3moe's expert size defaults to feed_forward_length / expert_used_count.
      const std::uint64_t X = *experts,
                          Fe = qwen3moe ? expert_ff.value_or(static_cast<std::uint32_t>(F / std::max<std::uint32_t>(1, experts_used.value_or(1)))) : F;
      expected[p + "ffn_gate_inp.weight"] = {{E, X}, true};
      expected[p + "ffn_gate_exps.weight"] = {{E, Fe, X}, true};
      expected[p + "ffn_up_exps.weight"] = {{E, Fe, X}, true};
      expected[p + "ffn_down_exps.weight"] = {{Fe, E, X}, true};
    } else {
      expected[p + "ffn_gate.weight"] = {{E, F}, true};
      expected[p + "ffn_up.weight"] = {{E, F}, true};
      expected[p + "ffn_down.weight"] = {{F, E}, true};
    }
    expected[p + "attn_q.bias"] = {{H * D}, false};
    expected[p + "attn_k.bias"] = {{Hkv * D}, false};
    expected[p + "attn_v.bias"] = {{Hkv * Dv}, false};
    if (arch == "qwen3" || qwen3moe) {
      expected[p + "attn_q_norm.weight"] = {{D}, true};
      expected[p + "attn_k_norm.weight"] = {{D}, true};
    }
    if (arch == "llama") {
      expected[p + "attn_output.bias"] = {{E}, false};
      expected[p + "ffn_gate.bias"] = {{F}, false};
      expected[p + "ffn_up.bias"] = {{F}, false};
      expected[p + "ffn_down.bias"] = {{E}, false};
    }
  }
  auto shape_text = [](const Shape& s) { return fmt::format("[{}]", fmt::join(s, ", ")); };
  for (const auto& t : file.tensors()) {
    const auto it = expected.find(t.name);
    if (it == expected.end()) {
      check.violation("tensor {} is not one the {} architecture creates (llama.cpp: wrong number of tensors)", t.name, arch);
      continue;
    }
    Shape ne = t.ne;
    while (ne.size() > 1 && ne.back() == 1) ne.pop_back();
    if (ne != it->second.first)
      check.violation("tensor {} has shape {}, the hyper-parameters need {}", t.name, shape_text(ne), shape_text(it->second.first));
  }
  for (const auto& [name, entry] : expected)
    if (entry.second && file.find(name) == nullptr) check.violation("required tensor {} is missing", name);
}

}  // namespace

bool looks_like_gguf(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, 4) && std::memcmp(magic, "GGUF", 4) == 0;
}

GgufReport inspect_gguf(const std::filesystem::path& path) {
  const GgufFile file(path);
  GgufReport report;
  report.path = path;
  report.file_bytes = file.file_size();
  report.version = file.contents().version;
  report.metadata_keys = file.metadata().entries.size();
  report.architecture = file.metadata().get_string("general.architecture").value_or("?");
  report.name = file.metadata().get_string("general.name").value_or("");
  if (const auto ft = file.metadata().get_u32("general.file_type")) {
    report.file_type = std::to_string(*ft);
    for (const auto p : all_presets())
      if (gguf::file_type(p) == *ft) report.file_type = fmt::format("{} ({})", preset_name(p), *ft);
  }
  for (const auto& t : file.tensors()) {
    InspectedTensor row{t.name, t.ne, std::string(quant::ggml_type_name(t.type)), t.elements(), t.nbytes()};
    report.total_elements += row.elements;
    report.total_bytes += row.bytes;
    if (t.ne.size() >= 2 && t.ne[1] > 1) {
      report.matrix_elements += row.elements;
      report.matrix_bytes += row.bytes;
    }
    if (const auto bad = first_non_finite(t.type, file.data(t)); bad >= 0)
      report.violations.push_back(fmt::format("tensor {} has a non-finite value or block scale at element {}", t.name, bad));
    report.tensors.push_back(std::move(row));
  }
  check_model(file, report);
  return report;
}

std::string format_gguf_report(const GgufReport& r) {
  std::string out = fmt::format("{}: GGUF v{}, {} keys, {} tensors, {} bytes\n", r.path.string(), r.version,
                                r.metadata_keys, r.tensors.size(), r.file_bytes);
  out += fmt::format("architecture {}, name \"{}\", file type {}\n\n", r.architecture, r.name,
                     r.file_type.empty() ? "-" : r.file_type);
  out += fmt::format("{:<32} {:>6} {:>16} {:>12} {:>12} {:>8}\n", "tensor", "type", "ne", "params", "bytes", "bits/w");
  for (const auto& t : r.tensors)
    out += fmt::format("{:<32} {:>6} {:>16} {:>12} {:>12} {:>8.3f}\n", t.name, t.type, fmt::format("{}", fmt::join(t.ne, "x")),
                       t.elements, t.bytes, t.elements ? 8.0 * static_cast<double>(t.bytes) / static_cast<double>(t.elements) : 0.0);
  auto bpw = [](std::uint64_t bytes, std::uint64_t n) { return n ? 8.0 * static_cast<double>(bytes) / static_cast<double>(n) : 0.0; };
  out += fmt::format("\nbits per weight: {:.3f} over all tensors, {:.3f} over the matrices; tensor data {} bytes\n",
                     bpw(r.total_bytes, r.total_elements), bpw(r.matrix_bytes, r.matrix_elements), r.total_bytes);
  if (r.ok()) {
    out += "llama.cpp loader checks: ok\n";
  } else {
    out += fmt::format("llama.cpp loader checks: {} problem{}\n", r.violations.size(), r.violations.size() == 1 ? "" : "s");
    for (const auto& v : r.violations) out += "  " + v + "\n";
  }
  return out;
}

nlohmann::ordered_json to_json(const GgufReport& r) {
  nlohmann::ordered_json j;
  j["path"] = r.path.string();
  j["format"] = "gguf";
  j["version"] = r.version;
  j["architecture"] = r.architecture;
  j["name"] = r.name;
  j["file_type"] = r.file_type;
  j["file_bytes"] = r.file_bytes;
  j["tensors"] = nlohmann::ordered_json::array();
  for (const auto& t : r.tensors)
    j["tensors"].push_back({{"name", t.name}, {"type", t.type}, {"ne", t.ne}, {"params", t.elements}, {"bytes", t.bytes}});
  j["total_params"] = r.total_elements;
  j["total_bytes"] = r.total_bytes;
  j["bits_per_weight"] = r.total_elements ? 8.0 * static_cast<double>(r.total_bytes) / static_cast<double>(r.total_elements) : 0.0;
  j["matrix_bits_per_weight"] = r.matrix_elements ? 8.0 * static_cast<double>(r.matrix_bytes) / static_cast<double>(r.matrix_elements) : 0.0;
  j["violations"] = r.violations;
  j["ok"] = r.ok();
  return j;
}

}  // namespace swan::gguf
