// GGUF tokenizer metadata from HF tokenizer files; see tokenizer_metadata.h.
#include "swan/gguf/tokenizer_metadata.h"

#include <sentencepiece_processor.h>

#include <array>
#include <fstream>
#include <map>
#include <optional>

#include "swan/core/error.h"
#include "swan/io/input_file.h"
#include "swan/io/model_directory.h"
#include "swan/tokenizer/json_file.h"

namespace swan::gguf {
namespace fs = std::filesystem;
namespace {

// llama.cpp's token types (llama.h), the same numbers as SentencePiece's.
enum TokenType : std::int32_t { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

constexpr std::array<std::string_view, 7> kSpecialKinds{"bos", "eos", "unk", "sep", "pad", "cls", "mask"};

std::string_view gguf_special_key(std::string_view kind) {
  if (kind == "bos") return "tokenizer.ggml.bos_token_id";
  if (kind == "eos") return "tokenizer.ggml.eos_token_id";
  if (kind == "unk") return "tokenizer.ggml.unknown_token_id";
  if (kind == "sep") return "tokenizer.ggml.seperator_token_id";  // sic, llama.cpp's spelling
  if (kind == "pad") return "tokenizer.ggml.padding_token_id";
  if (kind == "cls") return "tokenizer.ggml.cls_token_id";
  return "tokenizer.ggml.mask_token_id";
}

// The converter's does_token_look_special.
bool looks_special(std::string_view text) {
  if (text == "<pad>" || text == "<mask>" || text == "<cls>" || text == "<sep>" || text == "</s>") return true;
  if (text.starts_with("<|") && text.ends_with("|>")) return true;
  if (text.starts_with("<\xef\xbd\x9c") && text.ends_with("\xef\xbd\x9c>")) return true;  // fullwidth bars
  return text.starts_with("<unused") && text.ends_with(">");
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

std::optional<nlohmann::json> read_optional_json(const fs::path& path) {
  if (!fs::exists(path)) return std::nullopt;
  return read_tokenizer_json(path);
}

std::optional<std::string> token_text(const nlohmann::json& entry) {
  if (entry.is_string()) return entry.get<std::string>();
  if (entry.is_object() && entry.contains("content") && entry["content"].is_string())
    return entry["content"].get<std::string>();
  return std::nullopt;
}

struct Vocabulary {
  std::vector<std::string> tokens;
  std::vector<float> scores;  // SentencePiece only
  std::vector<std::int32_t> types;
};

void pad_to_rows(Vocabulary& v, std::size_t rows, bool with_scores, const std::string& label) {
  if (v.tokens.size() > rows)
    fail("{}: the tokenizer has {} tokens but the embedding only {} rows; the model and its tokenizer do not match",
         label, v.tokens.size(), rows);
  for (std::size_t id = v.tokens.size(); id < rows; ++id) {
    v.tokens.push_back("[PAD" + std::to_string(id) + "]");
    v.types.push_back(kUnused);
    if (with_scores) v.scores.push_back(-1000.0f);
  }
}

Vocabulary bpe_vocabulary(const nlohmann::json& tokenizer, std::size_t rows, const std::string& label) {
  const auto& vocab = tokenizer.at("model").at("vocab");
  std::map<std::size_t, std::pair<std::string, std::int32_t>> by_id;
  for (const auto& [text, id] : vocab.items()) {
    if (!id.is_number_unsigned()) fail("{}: token '{}' has a non-integer id", label, text);
    by_id[id.get<std::size_t>()] = {text, kNormal};
  }
  if (tokenizer.contains("added_tokens"))
    for (const auto& added : tokenizer["added_tokens"]) {
      const auto id = added.at("id").get<std::size_t>();
      const std::string text = added.at("content").get<std::string>();
      const bool special = added.value("special", false);
      if (special || looks_special(text)) by_id[id] = {text, kControl};
      else by_id[id] = {replace_all(text, "\xe2\x96\x81", " "), kUserDefined};
    }
  Vocabulary v;
  const std::size_t size = by_id.empty() ? 0 : by_id.rbegin()->first + 1;
  if (size > rows) fail("{}: token id {} is beyond the embedding's {} rows", label, size - 1, rows);
  for (std::size_t id = 0; id < size; ++id) {
    const auto it = by_id.find(id);
    if (it == by_id.end()) {
      v.tokens.push_back("[PAD" + std::to_string(id) + "]");
      v.types.push_back(kUnused);
    } else {
      v.tokens.push_back(it->second.first);
      v.types.push_back(it->second.second);
    }
  }
  pad_to_rows(v, rows, false, label);
  return v;
}

std::vector<Scalar> bpe_merges(const nlohmann::json& tokenizer, const std::string& label) {
  std::vector<Scalar> merges;
  const auto& model = tokenizer.at("model");
  if (!model.contains("merges")) fail("{}: the BPE model has no merges", label);
  for (const auto& m : model["merges"]) {
    if (m.is_string()) {
      merges.emplace_back(m.get<std::string>());
    } else if (m.is_array() && m.size() == 2) {
      // Newer tokenizers store pairs; a space inside a part is written as U+0120 ("Ġ").
      merges.emplace_back(replace_all(m[0].get<std::string>(), " ", "\xc4\xa0") + " " +
                          replace_all(m[1].get<std::string>(), " ", "\xc4\xa0"));
    } else {
      fail("{}: a merge is neither \"a b\" nor a pair", label);
    }
  }
  return merges;
}

Vocabulary sentencepiece_vocabulary(const fs::path& model_file, const std::optional<nlohmann::json>& tokenizer_config,
                                    std::size_t rows) {
  require_regular_file(model_file, "SentencePiece tokenizer.model");
  sentencepiece::SentencePieceProcessor processor;
  const auto status = processor.Load(model_file.string());
  if (!status.ok()) fail("cannot load the SentencePiece model {}: {}", model_file.string(), status.ToString());
  Vocabulary v;
  const int n = processor.GetPieceSize();
  for (int id = 0; id < n; ++id) {
    v.tokens.push_back(processor.IdToPiece(id));
    v.scores.push_back(processor.GetScore(id));
    // The converter checks unknown, control, unused, byte in that order; user-defined pieces stay NORMAL.
    std::int32_t type = kNormal;
    if (processor.IsUnknown(id)) type = kUnknown;
    else if (processor.IsControl(id)) type = kControl;
    else if (processor.IsUnused(id)) type = kUnused;
    else if (processor.IsByte(id)) type = kByte;
    v.types.push_back(type);
  }
  pad_to_rows(v, rows, true, model_file.string());
  if (tokenizer_config && tokenizer_config->contains("added_tokens_decoder"))
    for (const auto& [key, entry] : (*tokenizer_config)["added_tokens_decoder"].items()) {
      const std::size_t id = std::stoul(key);
      if (id >= rows) continue;
      const std::string text = entry.at("content").get<std::string>();
      if (entry.value("special", false) || looks_special(text)) {
        v.types[id] = kControl;
        v.tokens[id] = text;
      } else {
        v.types[id] = kUserDefined;
        v.tokens[id] = replace_all(text, "\xe2\x96\x81", " ");
      }
      v.scores[id] = -1000.0f;
    }
  return v;
}

std::string bpe_pre_tokenizer(model::Architecture architecture) {
  switch (architecture) {
    case model::Architecture::Qwen2:
    case model::Architecture::Qwen3:
    case model::Architecture::Qwen2Moe:
    case model::Architecture::Qwen3Moe: return "qwen2";
    default: return "llama-bpe";
  }
}

template <typename T>
std::vector<Scalar> as_scalars(const std::vector<T>& values) {
  return {values.begin(), values.end()};
}

}  // namespace

void add_tokenizer_metadata(Metadata& metadata, const fs::path& dir, const model::ModelConfig& config,
                            std::size_t vocab_rows) {
  const auto tokenizer = read_optional_json(dir / "tokenizer.json");
  const auto tokenizer_config = read_optional_json(dir / "tokenizer_config.json");
  const bool bpe = tokenizer && tokenizer->contains("model") && (*tokenizer)["model"].value("type", "") == "BPE" &&
                   !fs::exists(dir / "tokenizer.model");
  if (bpe) {
    const std::string label = (dir / "tokenizer.json").string();
    const Vocabulary v = bpe_vocabulary(*tokenizer, vocab_rows, label);
    metadata.set("tokenizer.ggml.model", Value::string("gpt2"));
    metadata.set("tokenizer.ggml.pre", Value::string(bpe_pre_tokenizer(config.architecture)));
    metadata.set("tokenizer.ggml.tokens", Value::array(ValueType::STRING, as_scalars(v.tokens)));
    metadata.set("tokenizer.ggml.token_type", Value::array(ValueType::INT32, as_scalars(v.types)));
    metadata.set("tokenizer.ggml.merges", Value::array(ValueType::STRING, bpe_merges(*tokenizer, label)));
  } else if (fs::exists(dir / "tokenizer.model")) {
    const Vocabulary v = sentencepiece_vocabulary(dir / "tokenizer.model", tokenizer_config, vocab_rows);
    metadata.set("tokenizer.ggml.model", Value::string("llama"));
    metadata.set("tokenizer.ggml.pre", Value::string("default"));
    metadata.set("tokenizer.ggml.tokens", Value::array(ValueType::STRING, as_scalars(v.tokens)));
    metadata.set("tokenizer.ggml.scores", Value::array(ValueType::FLOAT32, as_scalars(v.scores)));
    metadata.set("tokenizer.ggml.token_type", Value::array(ValueType::INT32, as_scalars(v.types)));
  } else {
    fail("{}: no tokenizer.json with a BPE model and no tokenizer.model; a GGUF file needs its tokenizer",
         dir.string());
  }

  // Special token ids: names from tokenizer_config.json resolved through tokenizer.json's
  // added tokens, then config.json ids for the kinds still unset.
  std::vector<std::pair<std::string_view, std::uint32_t>> ids;
  auto has = [&](std::string_view kind) {
    for (const auto& [k, id] : ids)
      if (k == kind) return true;
    return false;
  };
  if (tokenizer && tokenizer_config && tokenizer->contains("added_tokens"))
    for (const auto kind : kSpecialKinds) {
      const std::string key = std::string(kind) + "_token";
      if (!tokenizer_config->contains(key)) continue;
      const auto text = token_text((*tokenizer_config)[key]);
      if (!text) continue;
      for (const auto& added : (*tokenizer)["added_tokens"])
        if (added.value("content", "") == *text) {
          ids.emplace_back(kind, added.at("id").get<std::uint32_t>());
          break;
        }
    }
  const auto& hf_config = read_json_file(dir / "config.json");
  for (const auto kind : kSpecialKinds) {
    if (has(kind)) continue;
    const std::string key = std::string(kind) + "_token_id";
    if (!hf_config.contains(key)) continue;
    const auto& value = hf_config[key];
    if (value.is_number_unsigned()) ids.emplace_back(kind, value.get<std::uint32_t>());
    else if (value.is_array() && !value.empty() && value[0].is_number_unsigned())
      ids.emplace_back(kind, value[0].get<std::uint32_t>());
  }
  for (const auto& [kind, id] : ids) metadata.set(std::string(gguf_special_key(kind)), Value::u32(id));

  // add_bos / add_eos: tokenizer.json's TemplateProcessing post-processor, then explicit
  // booleans in tokenizer_config.json. add_bos is always written (llama.cpp's defaults
  // differ by tokenizer kind); add_eos only when stated.
  std::optional<bool> add_bos, add_eos;
  if (tokenizer && tokenizer->contains("post_processor") && (*tokenizer)["post_processor"].is_object()) {
    const auto& post = (*tokenizer)["post_processor"];
    const nlohmann::json* template_processing = nullptr;
    if (post.value("type", "") == "TemplateProcessing") template_processing = &post;
    else if (post.value("type", "") == "Sequence" && post.contains("processors"))
      for (const auto& p : post["processors"])
        if (p.value("type", "") == "TemplateProcessing") template_processing = &p;
    if (template_processing && template_processing->contains("single") && (*template_processing)["single"].is_array()) {
      const auto& single = (*template_processing)["single"];
      add_bos = !single.empty() && single.front().contains("SpecialToken");
      add_eos = single.size() > 1 && single.back().contains("SpecialToken");
    }
  }
  if (tokenizer_config) {
    if (tokenizer_config->contains("add_bos_token") && (*tokenizer_config)["add_bos_token"].is_boolean())
      add_bos = (*tokenizer_config)["add_bos_token"].get<bool>();
    if (tokenizer_config->contains("add_eos_token") && (*tokenizer_config)["add_eos_token"].is_boolean())
      add_eos = (*tokenizer_config)["add_eos_token"].get<bool>();
  }
  metadata.set("tokenizer.ggml.add_bos_token", Value::boolean(add_bos.value_or(!bpe)));
  if (add_eos) metadata.set("tokenizer.ggml.add_eos_token", Value::boolean(*add_eos));

  std::optional<std::string> chat_template;
  if (tokenizer_config && tokenizer_config->contains("chat_template") && (*tokenizer_config)["chat_template"].is_string())
    chat_template = (*tokenizer_config)["chat_template"].get<std::string>();
  else if (fs::exists(dir / "chat_template.jinja")) {
    chat_template = read_regular_file(dir / "chat_template.jinja", "chat template", std::uint64_t{16} << 20);
  }
  if (chat_template) metadata.set("tokenizer.chat_template", Value::string(*chat_template));
}

}  // namespace swan::gguf
