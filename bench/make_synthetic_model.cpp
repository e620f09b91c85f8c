// Writes a synthetic HuggingFace model directory with a real model's tensor layout, for
// benchmarks: bf16 weights with heavy-tailed values and a few outlier input channels
// (the statistics that make quantization hard), norms near 1, a real config.json.
//
//   make_synthetic_model PRESET OUT_DIR [--layers N] [--seed S]
//   presets: qwen3-8b (Qwen3-8B shapes; default 2 layers), qwen2.5-0.5b (24 layers),
//            qwen3-moe-mini (Qwen3-MoE layout with 16 experts, for the 3-D paths),
//            qwen3-moe-decode (4 layers of 8 experts of 1024 x 2816, top-2, vocab 8192: the
//            experts hold ~90 % of the weights, so decode cost shows whether only the picked
//            experts run; decode_bench --moe-scaling)
#include <fmt/core.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "swan/core/float_formats.h"
#include "swan/io/safetensors_writer.h"

namespace {

struct Preset {
  std::string model_type;
  std::int64_t hidden, intermediate, layers, heads, kv_heads, head_dim, vocab;
  bool tied;
  bool qkv_bias;
  bool qk_norm;
  std::int64_t experts = 0;
  std::int64_t experts_per_token = 4;
};

Preset preset_named(const std::string& name) {
  if (name == "qwen3-8b") return {"qwen3", 4096, 12288, 2, 32, 8, 128, 151936, false, false, true};
  if (name == "qwen2.5-0.5b") return {"qwen2", 896, 4864, 24, 14, 2, 64, 151936, true, true, false};
  if (name == "qwen3-moe-mini") return {"qwen3_moe", 1024, 768, 2, 16, 4, 64, 32000, false, false, true, 16};
  if (name == "qwen3-moe-decode") return {"qwen3_moe", 1024, 2816, 4, 16, 4, 64, 8192, false, false, true, 8, 2};
  throw std::runtime_error("unknown preset " + name + " (qwen3-8b, qwen2.5-0.5b, qwen3-moe-mini, qwen3-moe-decode)");
}

// splitmix64: fast, seedable, good enough for synthetic weights.
struct Rng {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return (static_cast<double>(next() >> 11) + 0.5) * (1.0 / 9007199254740992.0); }
};

// Laplace-distributed values (excess kurtosis 3, like real LLM weights) scaled per input
// column, with ~0.5 % of columns carrying 8x outliers.
void fill_matrix(std::vector<std::uint16_t>& out, std::int64_t rows, std::int64_t cols, double scale, Rng& rng) {
  std::vector<float> column_scale(static_cast<std::size_t>(cols));
  for (auto& s : column_scale) s = static_cast<float>(scale * (rng.uniform() < 0.005 ? 8.0 : 1.0));
  out.resize(static_cast<std::size_t>(rows * cols));
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < cols; ++c) {
      const double u = rng.uniform() - 0.5;
      const double laplace = (u < 0 ? 1.0 : -1.0) * std::log(1.0 - 2.0 * std::fabs(u)) / std::sqrt(2.0);
      out[static_cast<std::size_t>(r * cols + c)] =
          swan::float_to_bf16(static_cast<float>(laplace) * column_scale[static_cast<std::size_t>(c)]);
    }
  }
}

void fill_norm(std::vector<std::uint16_t>& out, std::int64_t n, Rng& rng) {
  out.resize(static_cast<std::size_t>(n));
  for (auto& v : out) v = swan::float_to_bf16(static_cast<float>(1.0 + 0.1 * (rng.uniform() - 0.5)));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    fmt::print(stderr, "usage: make_synthetic_model PRESET OUT_DIR [--layers N] [--seed S]\n");
    return 2;
  }
  Preset p = preset_named(argv[1]);
  const std::filesystem::path out = argv[2];
  std::uint64_t seed = 1;
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--layers") p.layers = std::stoll(argv[i + 1]);
    if (flag == "--seed") seed = std::stoull(argv[i + 1]);
  }
  std::filesystem::create_directories(out);

  struct Entry {
    std::string name;
    std::vector<std::int64_t> shape;
    bool norm;
  };
  std::vector<Entry> entries;
  const std::int64_t q_dim = p.heads * p.head_dim, kv_dim = p.kv_heads * p.head_dim;
  entries.push_back({"model.embed_tokens.weight", {p.vocab, p.hidden}, false});
  for (std::int64_t l = 0; l < p.layers; ++l) {
    const std::string prefix = fmt::format("model.layers.{}.", l);
    entries.push_back({prefix + "input_layernorm.weight", {p.hidden}, true});
    entries.push_back({prefix + "self_attn.q_proj.weight", {q_dim, p.hidden}, false});
    entries.push_back({prefix + "self_attn.k_proj.weight", {kv_dim, p.hidden}, false});
    entries.push_back({prefix + "self_attn.v_proj.weight", {kv_dim, p.hidden}, false});
    if (p.qkv_bias) {
      entries.push_back({prefix + "self_attn.q_proj.bias", {q_dim}, true});
      entries.push_back({prefix + "self_attn.k_proj.bias", {kv_dim}, true});
      entries.push_back({prefix + "self_attn.v_proj.bias", {kv_dim}, true});
    }
    entries.push_back({prefix + "self_attn.o_proj.weight", {p.hidden, q_dim}, false});
    if (p.qk_norm) {
      entries.push_back({prefix + "self_attn.q_norm.weight", {p.head_dim}, true});
      entries.push_back({prefix + "self_attn.k_norm.weight", {p.head_dim}, true});
    }
    entries.push_back({prefix + "post_attention_layernorm.weight", {p.hidden}, true});
    if (p.experts > 0) {
      entries.push_back({prefix + "mlp.gate.weight", {p.experts, p.hidden}, false});
      for (std::int64_t e = 0; e < p.experts; ++e) {
        const std::string expert = fmt::format("{}mlp.experts.{}.", prefix, e);
        entries.push_back({expert + "gate_proj.weight", {p.intermediate, p.hidden}, false});
        entries.push_back({expert + "up_proj.weight", {p.intermediate, p.hidden}, false});
        entries.push_back({expert + "down_proj.weight", {p.hidden, p.intermediate}, false});
      }
    } else {
      entries.push_back({prefix + "mlp.gate_proj.weight", {p.intermediate, p.hidden}, false});
      entries.push_back({prefix + "mlp.up_proj.weight", {p.intermediate, p.hidden}, false});
      entries.push_back({prefix + "mlp.down_proj.weight", {p.hidden, p.intermediate}, false});
    }
  }
  entries.push_back({"model.norm.weight", {p.hidden}, true});
  if (!p.tied) entries.push_back({"lm_head.weight", {p.vocab, p.hidden}, false});

  std::vector<swan::TensorSpec> specs;
  for (const auto& e : entries) specs.push_back({e.name, swan::DType::BF16, e.shape});
  swan::SafetensorsWriter writer(out / "model.safetensors", specs, {{"format", "pt"}});
  Rng rng{seed};
  std::vector<std::uint16_t> buffer;
  std::uint64_t params = 0;
  for (const auto& e : entries) {
    if (e.norm) {
      fill_norm(buffer, e.shape[0], rng);
    } else {
      const std::int64_t cols = e.shape.back();
      fill_matrix(buffer, e.shape[0], cols, 1.0 / std::sqrt(static_cast<double>(cols)) * 0.7, rng);
    }
    params += buffer.size();
    writer.write(e.name, std::as_bytes(std::span(buffer)));
  }
  writer.finish();

  nlohmann::ordered_json weight_map;
  for (const auto& e : entries) weight_map[e.name] = "model.safetensors";
  std::ofstream(out / "model.safetensors.index.json")
      << nlohmann::ordered_json{{"metadata", {{"total_size", writer.total_bytes()}}}, {"weight_map", weight_map}}.dump(2);

  nlohmann::ordered_json config = {
      {"architectures", {p.model_type == "qwen2" ? "Qwen2ForCausalLM" : p.experts ? "Qwen3MoeForCausalLM" : "Qwen3ForCausalLM"}},
      {"model_type", p.model_type},
      {"hidden_size", p.hidden},
      {"intermediate_size", p.intermediate},
      {"num_hidden_layers", p.layers},
      {"num_attention_heads", p.heads},
      {"num_key_value_heads", p.kv_heads},
      {"head_dim", p.head_dim},
      {"vocab_size", p.vocab},
      {"max_position_embeddings", 32768},
      {"rms_norm_eps", 1e-6},
      {"rope_theta", 1000000.0},
      {"tie_word_embeddings", p.tied},
      {"torch_dtype", "bfloat16"},
      {"hidden_act", "silu"}};
  if (p.experts) {
    config["num_experts"] = p.experts;
    config["num_experts_per_tok"] = p.experts_per_token;
    config["moe_intermediate_size"] = p.intermediate;
  }
  std::ofstream(out / "config.json") << config.dump(2);
  fmt::print("{}: {} tensors, {:.3f} B params, {:.2f} GB\n", out.string(), entries.size(), params / 1e9,
             writer.total_bytes() / 1e9);
  return 0;
}
