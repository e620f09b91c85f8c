// llama.cpp tensor names; see gguf_naming.h.
#include "swan/model/gguf_naming.h"

#include <array>
#include <charconv>
#include <utility>

namespace swan::model {

std::string_view gguf_architecture(Architecture architecture) {
  switch (architecture) {
    case Architecture::Llama:
    case Architecture::Mistral:
    case Architecture::Mixtral: return "llama";
    case Architecture::Qwen2: return "qwen2";
    case Architecture::Qwen3: return "qwen3";
    case Architecture::Qwen2Moe: return "qwen2moe";
    case Architecture::Qwen3Moe: return "qwen3moe";
  }
  return "llama";
}

namespace {

// Per-layer module paths (after "model.layers.N.") and their GGUF names (after "blk.N.").
constexpr std::array<std::pair<std::string_view, std::string_view>, 14> kLayerModules{{
    {"input_layernorm", "attn_norm"},
    {"self_attn.q_proj", "attn_q"},
    {"self_attn.k_proj", "attn_k"},
    {"self_attn.v_proj", "attn_v"},
    {"self_attn.o_proj", "attn_output"},
    {"self_attn.q_norm", "attn_q_norm"},
    {"self_attn.k_norm", "attn_k_norm"},
    {"post_attention_layernorm", "ffn_norm"},
    {"mlp.gate_proj", "ffn_gate"},
    {"mlp.up_proj", "ffn_up"},
    {"mlp.down_proj", "ffn_down"},
    {"mlp.gate", "ffn_gate_inp"},               // Qwen MoE router
    {"block_sparse_moe.gate", "ffn_gate_inp"},  // Mixtral router
    {"self_attn.rotary_emb", ""},  // inv_freq buffers: not written
}};

// Per-expert projections (after "<block>.experts.E.") and the stacked GGUF tensor.
constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kExpertProjections{{
    {"gate_proj", "ffn_gate_exps"},
    {"up_proj", "ffn_up_exps"},
    {"down_proj", "ffn_down_exps"},
    {"w1", "ffn_gate_exps"},  // Mixtral
    {"w3", "ffn_up_exps"},
    {"w2", "ffn_down_exps"},
}};

// "N." at the front of `rest` -> N, with `rest` advanced past the dot.
std::optional<int> take_index(std::string_view& rest) {
  int value = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
  if (ec != std::errc() || end == rest.data() || end == rest.data() + rest.size() || *end != '.' || value < 0)
    return std::nullopt;
  rest = rest.substr(static_cast<std::size_t>(end - rest.data()) + 1);
  return value;
}

}  // namespace

std::optional<std::string> gguf_tensor_name(std::string_view hf_name) {
  if (hf_name == "model.embed_tokens.weight") return "token_embd.weight";
  if (hf_name == "model.norm.weight") return "output_norm.weight";
  if (hf_name == "lm_head.weight") return "output.weight";
  constexpr std::string_view prefix = "model.layers.";
  if (!hf_name.starts_with(prefix)) return std::nullopt;
  std::string_view rest = hf_name.substr(prefix.size());
  int layer = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), layer);
  if (ec != std::errc() || end == rest.data() || *end != '.') return std::nullopt;
  rest = rest.substr(static_cast<std::size_t>(end - rest.data()) + 1);
  const auto dot = rest.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const std::string_view module = rest.substr(0, dot), parameter = rest.substr(dot + 1);
  if (parameter != "weight" && parameter != "bias") return std::nullopt;
  for (const auto& [hf, gguf] : kLayerModules)
    if (module == hf && !gguf.empty()) return "blk." + std::to_string(layer) + "." + std::string(gguf) + "." + std::string(parameter);
  return std::nullopt;
}

std::optional<ExpertSlice> gguf_expert_slice(std::string_view hf_name) {
  constexpr std::string_view prefix = "model.layers.";
  if (!hf_name.starts_with(prefix)) return std::nullopt;
  std::string_view rest = hf_name.substr(prefix.size());
  const auto layer = take_index(rest);
  if (!layer) return std::nullopt;
  for (const std::string_view block : {"mlp.experts.", "block_sparse_moe.experts."}) {
    if (!rest.starts_with(block)) continue;
    rest = rest.substr(block.size());
    const auto expert = take_index(rest);
    if (!expert) return std::nullopt;
    for (const auto& [hf, gguf] : kExpertProjections)
      if (rest.size() == hf.size() + 7 && rest.starts_with(hf) && rest.ends_with(".weight"))
        return ExpertSlice{"blk." + std::to_string(*layer) + "." + std::string(gguf) + ".weight", *expert};
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<int> gguf_block_index(std::string_view gguf_name) {
  if (!gguf_name.starts_with("blk.")) return std::nullopt;
  int block = 0;
  const auto [end, ec] = std::from_chars(gguf_name.data() + 4, gguf_name.data() + gguf_name.size(), block);
  if (ec != std::errc()) return std::nullopt;
  return block;
}

int permuted_heads(Architecture architecture, std::string_view hf_name, const ModelConfig& config) {
  if (gguf_architecture(architecture) != "llama") return 0;
  if (hf_name.ends_with(".self_attn.q_proj.weight") || hf_name.ends_with(".self_attn.q_proj.bias"))
    return static_cast<int>(config.num_attention_heads);
  if (hf_name.ends_with(".self_attn.k_proj.weight") || hf_name.ends_with(".self_attn.k_proj.bias"))
    return static_cast<int>(config.num_key_value_heads);
  return 0;
}

std::size_t permuted_source_row(std::size_t row, std::size_t head_dim) {
  const std::size_t head = row / head_dim, within = row % head_dim, half = head_dim / 2;
  return head * head_dim + (within % 2 == 0 ? within / 2 : within / 2 + half);
}

}  // namespace swan::model
