// HF directory -> GGUF file; see model_writer.h.
#include "swan/gguf/model_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>

#include "swan/core/error.h"
#include "swan/io/atomic_file.h"
#include "swan/io/buffer_pool.h"
#include "swan/io/write_behind.h"
#include "swan/gguf/tokenizer_metadata.h"
#include "swan/gguf/writer.h"
#include "swan/model/gguf_naming.h"
#include "swan/model/mlx_naming.h"
#include "swan/model/parameter_source.h"
#include "swan/quant/ggml_quantize.h"
#include "swan/quant/row_bands.h"

namespace swan::gguf {
namespace fs = std::filesystem;
using quant::GgmlType;

namespace {

// llama-quantize's order: tensors outside the blocks by name, then blocks in order, by name.
bool file_order(const PlannedTensor& a, const PlannedTensor& b) {
  const auto ba = model::gguf_block_index(a.name), bb = model::gguf_block_index(b.name);
  if (ba.has_value() != bb.has_value()) return !ba.has_value();
  if (ba && *ba != *bb) return *ba < *bb;
  return a.name < b.name;
}

// The output head rule every reader of a checkpoint follows (model::decide_output_head).
bool writes_output_matrix(const ModelDirectory& source, const model::ModelConfig&) {
  return !model::decide_output_head(source).tied;
}

// Llama 3.1+ "llama3" rope scaling as the per-pair frequency divisors llama.cpp reads from
// rope_freqs.weight (spec §3.4).
std::vector<float> llama3_rope_factors(const model::ModelConfig& config) {
  const auto& s = config.rope_scaling;
  const auto dim = static_cast<std::size_t>(config.head_dim);
  const double low_wavelength = s.original_max_position_embeddings / s.high_freq_factor;
  const double high_wavelength = s.original_max_position_embeddings / s.low_freq_factor;
  std::vector<float> factors;
  for (std::size_t i = 0; i < dim; i += 2) {
    const float freq = 1.0f / static_cast<float>(std::pow(config.rope_theta, static_cast<double>(i) / static_cast<double>(dim)));
    const double wavelength = 2.0 * M_PI / static_cast<double>(freq);
    double factor = 1.0;
    if (wavelength < low_wavelength) factor = 1.0;
    else if (wavelength > high_wavelength) factor = s.factor;
    else {
      const double smooth = (s.original_max_position_embeddings / wavelength - s.low_freq_factor) /
                            (s.high_freq_factor - s.low_freq_factor);
      factor = 1.0 / ((1.0 - smooth) / s.factor + smooth);
    }
    factors.push_back(static_cast<float>(factor));
  }
  return factors;
}

std::string join_ne(const std::vector<std::uint64_t>& ne) { return fmt::format("{}", fmt::join(ne, ", ")); }

// The MoE models llama.cpp computes as their HF definition does: Mixtral as llama with
// experts (softmax, top-k renormalised: Mixtral's own rule), Qwen3-MoE as qwen3moe, which has
// an MoE block in every layer and always renormalises the top-k weights (norm_w = true).
void require_llama_cpp_moe(const ModelDirectory& source, const model::ModelConfig& config) {
  if (!config.is_moe()) return;
  const std::string where = (source.path() / "config.json").string();
  if (config.architecture == model::Architecture::Qwen2Moe)
    fail("{}: swan's GGUF writer does not write Qwen2-MoE (llama.cpp's qwen2moe, with its shared expert) yet; "
         "write MLX output instead (drop --format gguf)",
         where);
  if (config.architecture == model::Architecture::Qwen3Moe) {
    for (std::int64_t layer = 0; layer < config.num_hidden_layers; ++layer)
      if (!config.is_moe_layer(layer))
        fail("{}: layer {} is a dense MLP (mlp_only_layers / decoder_sparse_step), but llama.cpp's qwen3moe has an "
             "MoE block in every layer and would not load the file; such a model has no llama.cpp form",
             where, layer);
    if (!config.moe.normalize_top_k)
      fail("{}: norm_topk_prob is false, but llama.cpp's qwen3moe always renormalises the top-{} expert weights, so "
           "the GGUF file would compute another model",
           where, config.moe.experts_per_token);
  }
}

}  // namespace

std::uint64_t PlannedTensor::bytes() const {
  std::uint64_t rows = 1;
  for (std::size_t i = 1; i < ne.size(); ++i) rows *= ne[i];
  return quant::bytes_for(type, static_cast<std::size_t>(ne[0])) * rows;
}

RecipeModel recipe_model(const ModelDirectory& source, const model::ModelConfig& config) {
  return {static_cast<int>(config.num_hidden_layers), static_cast<int>(config.num_attention_heads),
          static_cast<int>(config.num_key_value_heads), writes_output_matrix(source, config),
          static_cast<int>(config.moe.num_experts)};
}

std::vector<PlannedTensor> plan_gguf_tensors(const ModelDirectory& source, const model::ModelConfig& config,
                                             const TypeChoice& choice) {
  require_llama_cpp_moe(source, config);
  const bool with_output = writes_output_matrix(source, config);
  std::vector<PlannedTensor> planned;
  std::map<std::string, std::vector<const ModelTensor*>> experts;  // stacked GGUF name -> HF tensor per expert
  for (const auto& t : source.tensors()) {
    const std::string& hf = t.name();
    if (hf == "lm_head.weight" && !with_output) continue;
    if (const auto slice = model::gguf_expert_slice(hf)) {
      auto& slots = experts[slice->gguf_name];
      if (config.moe.num_experts <= 0 || slice->expert >= config.moe.num_experts)
        fail("tensor '{}' is expert {}, but config.json declares {} experts", hf, slice->expert, config.moe.num_experts);
      slots.resize(static_cast<std::size_t>(config.moe.num_experts), nullptr);
      slots[static_cast<std::size_t>(slice->expert)] = &t;
      continue;
    }
    const auto name = model::gguf_tensor_name(hf);
    if (!name) {
      if (hf.ends_with("rotary_emb.inv_freq")) continue;  // a buffer, recomputed by llama.cpp
      fail("tensor '{}' has no llama.cpp counterpart for the {} architecture; swan cannot write it to GGUF", hf,
           model::gguf_architecture(config.architecture));
    }
    if (!is_float_weight_dtype(t.info->dtype))
      fail("tensor '{}' has dtype {}; GGUF conversion reads F32, F16 and BF16 tensors", hf, dtype_name(t.info->dtype));
    PlannedTensor p;
    p.name = *name;
    p.source = hf;
    for (auto it = t.info->shape.rbegin(); it != t.info->shape.rend(); ++it) p.ne.push_back(static_cast<std::uint64_t>(*it));
    if (p.ne.empty()) p.ne.push_back(1);
    p.permuted_heads = model::permuted_heads(config.architecture, hf, config);
    if (p.permuted_heads > 0) {
      const std::uint64_t rows = p.ne.size() >= 2 ? p.ne[1] : p.ne[0];
      if (rows % static_cast<std::uint64_t>(p.permuted_heads) != 0 || (rows / static_cast<std::uint64_t>(p.permuted_heads)) % 2 != 0)
        fail("tensor '{}': {} rows do not split into {} heads of an even size", hf, rows, p.permuted_heads);
    }
    planned.push_back(std::move(p));
  }
  for (auto& [name, slots] : experts) {
    PlannedTensor p;
    p.name = name;
    for (std::size_t e = 0; e < slots.size(); ++e) {
      if (slots[e] == nullptr)
        fail("{}: expert {} of {} is missing (every expert of an MoE layer is needed for the stacked GGUF tensor)",
             source.path().string(), e, name);
      const TensorInfo& info = *slots[e]->info;
      if (info.shape.size() != 2 || !is_float_weight_dtype(info.dtype))
        fail("tensor '{}' is {} {}; an expert projection must be a 2-D F32, F16 or BF16 matrix", slots[e]->name(),
             dtype_name(info.dtype), info.shape.size() == 2 ? "2-D" : "not 2-D");
      if (info.shape != slots[0]->info->shape)
        fail("tensor '{}' has another shape than '{}'; the experts of {} must agree", slots[e]->name(), slots[0]->name(),
             name);
      p.expert_sources.push_back(slots[e]->name());
    }
    p.source = p.expert_sources.front();
    const auto& shape = slots[0]->info->shape;
    p.ne = {static_cast<std::uint64_t>(shape[1]), static_cast<std::uint64_t>(shape[0]), slots.size()};
    planned.push_back(std::move(p));
  }
  if (config.rope_scaling.type == model::RopeScaling::Type::Llama3 && model::gguf_architecture(config.architecture) == "llama")
    planned.push_back({"rope_freqs.weight", "", {}, {static_cast<std::uint64_t>(config.head_dim / 2)}, GgmlType::F32, 0});
  std::sort(planned.begin(), planned.end(), file_order);

  const RecipeModel recipe = recipe_model(source, config);
  for (auto& p : planned) {
    if (!is_quantizable(p.name, p.ne.size())) continue;  // norms, biases, rope_freqs: F32
    const auto override = choice.overrides.find(p.name);
    p.type = override != choice.overrides.end() ? fallback_type(override->second, p.ne[0], p.name)
                                                : recipe_type(choice.preset, recipe, p.name, p.ne[0], choice.pure);
  }
  for (const auto& override : choice.overrides) {
    const std::string& name = override.first;
    if (std::none_of(planned.begin(), planned.end(), [&](const auto& p) { return p.name == name; }))
      fail("a type was requested for tensor '{}', which the GGUF output does not have", name);
  }
  return planned;
}

std::string size_label(std::uint64_t parameters) {
  const auto n = static_cast<double>(parameters);
  double scaled;
  const char* suffix;
  if (n > 1e12) { scaled = n * 1e-12; suffix = "T"; }
  else if (n > 1e9) { scaled = n * 1e-9; suffix = "B"; }
  else if (n > 1e6) { scaled = n * 1e-6; suffix = "M"; }
  else { scaled = n * 1e-3; suffix = "K"; }
  // The converter prints at least two significant digits: as many decimals as the rounded
  // integer part lacks.
  const std::string integer = fmt::format("{}", static_cast<long long>(std::nearbyint(scaled)));
  const std::size_t digits = integer == "0" ? 0 : integer.size();
  const int decimals = digits >= 2 ? 0 : static_cast<int>(2 - digits);
  return fmt::format("{:.{}f}{}", scaled, decimals, suffix);
}

Metadata build_gguf_metadata(const ModelDirectory& source, const model::ModelConfig& config, const std::string& name,
                             std::uint64_t parameters, std::uint32_t file_type, std::size_t vocab_rows) {
  const std::string arch(model::gguf_architecture(config.architecture));
  const auto u32 = [](std::int64_t v) { return Value::u32(static_cast<std::uint32_t>(v)); };
  if (config.max_position_embeddings <= 0)
    fail("{}: config.json has no max_position_embeddings, which llama.cpp requires as {}.context_length",
         source.path().string(), arch);
  Metadata m;
  m.set("general.architecture", Value::string(arch));
  m.set("general.type", Value::string("model"));
  m.set("general.name", Value::string(name));
  // MoE: the converter's "<experts>x<shared + one expert's parameters>" (e.g. "8x7B").
  m.set("general.size_label", Value::string(config.is_moe() ? fmt::format("{}x{}", config.moe.num_experts, size_label(parameters))
                                                             : size_label(parameters)));
  m.set(arch + ".block_count", u32(config.num_hidden_layers));
  m.set(arch + ".context_length", u32(config.max_position_embeddings));
  m.set(arch + ".embedding_length", u32(config.hidden_size));
  m.set(arch + ".feed_forward_length", u32(config.intermediate_size));
  m.set(arch + ".attention.head_count", u32(config.num_attention_heads));
  m.set(arch + ".attention.head_count_kv", u32(config.num_key_value_heads));
  m.set(arch + ".rope.freq_base", Value::f32(static_cast<float>(config.rope_theta)));
  m.set(arch + ".attention.layer_norm_rms_epsilon", Value::f32(static_cast<float>(config.rms_norm_eps)));
  // The converter writes key/value lengths when config.json states head_dim; llama.cpp's
  // default (embedding / heads) is wrong for models such as Qwen3-0.6B.
  const bool head_dim_differs = config.head_dim * config.num_attention_heads != config.hidden_size;
  if (config.is_moe()) {  // the converter writes them after the norm epsilon
    m.set(arch + ".expert_count", u32(config.moe.num_experts));
    m.set(arch + ".expert_used_count", u32(config.moe.experts_per_token));
  }
  if (source.config().contains("head_dim") || head_dim_differs) {
    m.set(arch + ".attention.key_length", u32(config.head_dim));
    m.set(arch + ".attention.value_length", u32(config.head_dim));
  }
  // qwen3moe sizes its experts by this key (llama.cpp's default, feed_forward_length /
  // expert_used_count, is wrong for Qwen3-30B-A3B); llama's experts use feed_forward_length.
  if (arch == "qwen3moe") m.set(arch + ".expert_feed_forward_length", u32(config.moe.expert_intermediate_size));
  if (arch == "llama") {
    m.set(arch + ".vocab_size", u32(static_cast<std::int64_t>(vocab_rows)));
    m.set(arch + ".rope.dimension_count", u32(config.head_dim));
  }
  if (config.rope_scaling.type == model::RopeScaling::Type::Linear) {
    m.set(arch + ".rope.scaling.type", Value::string("linear"));
    m.set(arch + ".rope.scaling.factor", Value::f32(static_cast<float>(config.rope_scaling.factor)));
  }
  add_tokenizer_metadata(m, source.path(), config, vocab_rows);
  m.set("general.quantization_version", Value::u32(kQuantizationVersion));
  m.set("general.file_type", Value::u32(file_type));
  return m;
}

namespace {

// Float values are rounded to the output dtype before the range check when it is 16-bit.
DType rounding_dtype(GgmlType type) {
  if (type == GgmlType::F16) return DType::F16;
  if (type == GgmlType::BF16) return DType::BF16;
  return DType::F32;
}

// The tensor's bytes in its GGUF type, rows in GGUF order.
quant::Buffer<std::byte> encode_tensor(const ModelDirectory& source, const model::ModelConfig& config,
                                       const PlannedTensor& p) {
  quant::Buffer<std::byte> out(static_cast<std::size_t>(p.bytes()));
  if (p.source.empty()) {  // rope_freqs.weight
    const auto factors = llama3_rope_factors(config);
    quant::quantize_row_reference(GgmlType::F32, factors, out.span());
    return out;
  }
  const auto cols = static_cast<std::size_t>(p.ne.size() >= 2 ? p.ne[0] : 1);  // a 1-D tensor is rows of one value
  const std::size_t row_bytes = quant::bytes_for(p.type, cols);
  // Stacked experts: expert e's rows follow expert e - 1's, each quantized from its own tensor.
  const std::vector<std::string> parts = p.expert_sources.empty() ? std::vector<std::string>{p.source} : p.expert_sources;
  const std::size_t part_bytes = out.size / parts.size();
  for (std::size_t e = 0; e < parts.size(); ++e) {
    const ModelTensor& t = *source.find(parts[e]);
    const auto part = out.span().subspan(e * part_bytes, part_bytes);
    const std::string tensor[] = {t.name()};
    quant::for_each_row_band(model::checkpoint_parameter(source, t.name(), tensor, cols), rounding_dtype(p.type),
                             [&](const quant::RowBand& band, std::span<const float> values) {
                               quant::quantize_rows(p.type, values, band.rows, cols,
                                                    part.subspan(band.first_row * row_bytes, band.rows * row_bytes), 1);
                             });
  }
  if (p.permuted_heads == 0) return out;
  const std::size_t rows = out.size / row_bytes;
  const std::size_t head_rows = rows / static_cast<std::size_t>(p.permuted_heads);
  quant::Buffer<std::byte> permuted(out.size);
  for (std::size_t r = 0; r < rows; ++r)
    std::memcpy(permuted.data.get() + r * row_bytes, out.data.get() + model::permuted_source_row(r, head_rows) * row_bytes,
                row_bytes);
  return permuted;
}

// Whether a tensor is encoded a slab of rows at a time (into pooled buffers) rather than
// whole: every tensor read from the checkpoint unless its rows are permuted (llama's q/k,
// whose output rows are not the source's in order). Tiny ones (norms) gain nothing from a
// pooled buffer of slab_bytes.
bool encoded_in_slabs(const PlannedTensor& p, std::size_t slab_bytes) {
  return !p.source.empty() && p.permuted_heads == 0 && p.bytes() >= std::min<std::uint64_t>(slab_bytes / 16, 1 << 20);
}

// Encodes tensor `p` (encoded_in_slabs) in order, at most pool.buffer_bytes() at a time:
// calls emit(buffer, size) with each slab's bytes in a buffer from `pool`. Rows are the
// quantizers' unit, so the bytes are those of a whole-tensor pass.
void encode_slabs(const ModelDirectory& source, const PlannedTensor& p, BufferPool& pool,
                  const std::function<void(std::shared_ptr<std::byte[]>, std::size_t)>& emit) {
  const auto cols = static_cast<std::size_t>(p.ne.size() >= 2 ? p.ne[0] : 1);
  const std::size_t row_bytes = quant::bytes_for(p.type, cols);
  SWAN_CHECK(row_bytes <= pool.buffer_bytes(), "tensor '{}': a row of {} bytes is larger than a slab ({} bytes)",
             p.name, row_bytes, pool.buffer_bytes());
  const std::size_t slab_rows = pool.buffer_bytes() / row_bytes;
  const std::vector<std::string> parts = p.expert_sources.empty() ? std::vector<std::string>{p.source} : p.expert_sources;
  for (const auto& part : parts) {
    const ModelTensor& t = *source.find(part);
    const std::string tensor[] = {t.name()};
    const quant::ParameterSource parameter = model::checkpoint_parameter(source, t.name(), tensor, cols);
    const std::size_t rows = quant::total_rows(parameter);
    for (std::size_t first = 0; first < rows; first += slab_rows) {
      const std::size_t n = std::min(slab_rows, rows - first);
      auto buffer = pool.acquire();
      const std::span<std::byte> slab(buffer.get(), n * row_bytes);
      quant::for_each_row_band(parameter, rounding_dtype(p.type), {first, n},
                               [&](const quant::RowBand& band, std::span<const float> values) {
                                 const auto out = slab.subspan((band.first_row - first) * row_bytes, band.rows * row_bytes);
                                 quant::quantize_rows(p.type, values, band.rows, cols, out, 1);
                               });
      emit(std::move(buffer), slab.size());
    }
  }
}

}  // namespace

GgufWriteResult write_gguf_model(const ModelDirectory& source, const fs::path& out_file, const GgufWriteOptions& options) {
  const fs::path inputs[] = {source.path()};
  require_output_apart_from_inputs(out_file, inputs, "the GGUF file");
  const model::ModelConfig config = model::parse_model_config(source.config(), (source.path() / "config.json").string());
  // block_count is written from num_hidden_layers: it must be the layers the files hold.
  const std::string last_layer = model::last_layer_prefix(config);
  if (std::none_of(source.tensors().begin(), source.tensors().end(),
                   [&](const ModelTensor& t) { return t.name().starts_with(last_layer); }))
    fail("{}: config.json says num_hidden_layers {}, but the checkpoint has no \"{}*\" tensors; fix "
         "num_hidden_layers",
         source.path().string(), config.num_hidden_layers, last_layer);
  GgufWriteResult result;
  result.tensors = plan_gguf_tensors(source, config, options.choice);
  std::uint64_t parameters = 0;
  std::size_t vocab_rows = 0;
  const RecipeModel recipe = recipe_model(source, config);
  for (const auto& p : result.tensors) {
    std::uint64_t n = 1;
    for (const auto d : p.ne) n *= d;
    // general.size_label counts one expert of each stacked tensor (the converter's rule).
    if (!p.source.empty()) parameters += p.expert_sources.empty() ? n : n / p.expert_sources.size();
    if (p.name == "token_embd.weight") vocab_rows = static_cast<std::size_t>(p.ne.size() >= 2 ? p.ne[1] : 0);
    if (is_quantizable(p.name, p.ne.size())) {
      result.weight_elements += n;
      result.weight_bytes += p.bytes();
      if (!options.choice.overrides.contains(p.name)) {
        const GgmlType chosen = recipe_choice(options.choice.preset, recipe, p.name, p.ne[0], options.choice.pure);
        if (chosen != p.type)
          result.fallbacks.push_back(fmt::format("{} [{}]: {} -> {}", p.name, join_ne(p.ne), quant::ggml_type_name(chosen),
                                                 quant::ggml_type_name(p.type)));
      }
    }
  }
  if (vocab_rows == 0) fail("{}: the model has no model.embed_tokens.weight", source.path().string());
  const std::string name = options.name.value_or(fs::absolute(source.path()).lexically_normal().filename().string());
  const Metadata metadata =
      build_gguf_metadata(source, config, name, parameters, file_type(options.choice.preset), vocab_rows);

  std::vector<TensorDeclaration> declarations;
  for (const auto& p : result.tensors) declarations.push_back({p.name, p.ne, p.type});
  try {
    GgufWriter writer(out_file, metadata, declarations, options.force);
    // Tensors are produced in slabs of at most slab_bytes into pooled buffers, so the memory
    // the kernel must clear for them is a few slabs rather than the whole file (buffer_pool.h).
    // Up to kQueuedSlabs of them wait to be written while the next is encoded, so a slow
    // moment of the disk does not stop the encoding at once. The pool outlives the
    // write-behind's jobs, the writer its thread (both destroyed after it).
    constexpr std::size_t kQueuedSlabs = 4;
    BufferPool pool(options.slab_bytes);
    std::uint64_t largest_whole = 0;  // of the tensors encoded whole
    for (const auto& p : result.tensors)
      if (!encoded_in_slabs(p, options.slab_bytes)) largest_whole = std::max(largest_whole, p.bytes());
    WriteBehind behind(std::max(kQueuedSlabs * options.slab_bytes, 2 * static_cast<std::size_t>(largest_whole)));
    for (std::size_t i = 0; i < result.tensors.size(); ++i) {
      const PlannedTensor& p = result.tensors[i];
      if (options.on_tensor) options.on_tensor(i, result.tensors.size(), p.name);
      if (encoded_in_slabs(p, options.slab_bytes)) {
        encode_slabs(source, p, pool, [&](std::shared_ptr<std::byte[]> buffer, std::size_t size) {
          behind.then([&writer, &p, buffer, size] { writer.write_piece(p.name, std::span(buffer.get(), size)); },
                      pool.buffer_bytes());
        });
        continue;
      }
      auto bytes = std::make_shared<quant::Buffer<std::byte>>(encode_tensor(source, config, p));
      const std::size_t size = bytes->size;
      behind.then([&writer, &p, bytes] { writer.write(p.name, bytes->bytes()); }, size);
    }
    behind.finish();
    writer.commit();
    result.file_bytes = writer.bytes_written();
  } catch (const std::exception& e) {
    fail("writing the GGUF file {} failed; nothing was written: {}", out_file.string(), e.what());
  }
  result.path = out_file;
  return result;
}

std::string format_gguf_write_result(const GgufWriteResult& result) {
  std::string out = fmt::format("wrote {} ({} tensors, {} bytes)\n", result.path.string(), result.tensors.size(),
                                result.file_bytes);
  if (result.weight_elements > 0)
    out += fmt::format("quantized weights: {} elements in {} bytes = {:.3f} bits per weight\n", result.weight_elements,
                       result.weight_bytes,
                       8.0 * static_cast<double>(result.weight_bytes) / static_cast<double>(result.weight_elements));
  std::map<std::string, std::pair<std::size_t, std::uint64_t>> by_type;
  for (const auto& p : result.tensors) {
    auto& [count, bytes] = by_type[std::string(quant::ggml_type_name(p.type))];
    ++count;
    bytes += p.bytes();
  }
  for (const auto& [type, entry] : by_type)
    out += fmt::format("  {:>5}: {:>4} tensors, {:>12} bytes\n", type, entry.first, entry.second);
  if (!result.fallbacks.empty()) {
    out += fmt::format("{} shape fallback{} (rows not a multiple of the block):\n", result.fallbacks.size(),
                       result.fallbacks.size() == 1 ? "" : "s");
    for (const auto& f : result.fallbacks) out += "  " + f + "\n";
  }
  return out;
}

}  // namespace swan::gguf
