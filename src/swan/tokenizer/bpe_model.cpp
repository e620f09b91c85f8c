#include "swan/tokenizer/bpe_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <queue>

#include "swan/core/error.h"
#include "swan/io/json_excerpt.h"
#include "swan/tokenizer/byte_level.h"
#include "swan/tokenizer/utf8.h"

namespace swan {
namespace {

std::pair<std::string, std::string> parse_merge(const nlohmann::json& merge, std::size_t index,
                                                std::string_view where) {
  if (merge.is_string()) {
    const auto text = merge.get<std::string>();
    const auto space = text.find(' ');
    if (space == std::string::npos || text.find(' ', space + 1) != std::string::npos) {
      fail("{}: model.merges[{}] = \"{}\" must be two tokens separated by one space", where, index,
           text);
    }
    return {text.substr(0, space), text.substr(space + 1)};
  }
  if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
    return {merge[0].get<std::string>(), merge[1].get<std::string>()};
  }
  fail("{}: model.merges[{}] must be a \"a b\" string or a [\"a\", \"b\"] pair, got {}", where,
       index, json_excerpt(merge));
}

}  // namespace

BpeModel::BpeModel(const nlohmann::json& model, std::string_view where) {
  if (!model.is_object()) fail("{}: \"model\" is missing or not an object", where);
  const auto type = model.value("type", std::string("BPE"));
  if (type != "BPE") fail("{}: model type {} is not supported by swan (only BPE)", where, text_excerpt(type));
  if (!model.contains("vocab") || !model["vocab"].is_object()) {
    fail("{}: model.vocab is missing or not an object", where);
  }
  if (!model.contains("merges") || !model["merges"].is_array()) {
    fail("{}: model.merges is missing or not an array", where);
  }
  for (const char* affix : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (model.contains(affix) && model[affix].is_string() && !model[affix].get<std::string>().empty()) {
      fail("{}: model.{} is not supported by swan (byte-level BPE does not use it)", where, affix);
    }
  }
  ignore_merges_ = model.value("ignore_merges", false);

  // Vocabulary.
  const auto& vocab = model["vocab"];
  vocab_.reserve(vocab.size());
  for (const auto& [token, id_json] : vocab.items()) {
    if (!id_json.is_number_integer() || id_json.get<std::int64_t>() < 0 ||
        id_json.get<std::int64_t>() > std::numeric_limits<std::int32_t>::max()) {
      fail("{}: model.vocab[{}] must be a non-negative integer id, got {}", where, text_excerpt(token),
           json_excerpt(id_json));
    }
    const auto id = id_json.get<std::int32_t>();
    vocab_.emplace(token, id);
    id_end_ = std::max(id_end_, static_cast<std::size_t>(id) + 1);
    tokens_[id] = token;
  }

  // Merges: rank = position in the list.
  const auto& merges = model["merges"];
  merges_.reserve(merges.size());
  for (std::size_t rank = 0; rank < merges.size(); ++rank) {
    const auto [left, right] = parse_merge(merges[rank], rank, where);
    const auto left_id = token_to_id(left);
    const auto right_id = token_to_id(right);
    const auto merged_id = token_to_id(left + right);
    if (!left_id || !right_id || !merged_id) {
      const std::string& missing = !left_id ? left : !right_id ? right : left + right;
      fail("{}: model.merges[{}] (\"{} {}\") uses token \"{}\" that is not in model.vocab", where,
           rank, left, right, missing);
    }
    // A repeated pair keeps its first (lowest) rank, as HF does.
    merges_.emplace(pair_key(*left_id, *right_id), Merge{static_cast<std::int32_t>(rank), *merged_id});
  }

  // Initial symbols: one per byte, via the byte alphabet; else byte_fallback's <0xXX>;
  // else the unknown token; else the byte is dropped (HF's behaviour without unk_token).
  std::optional<std::int32_t> unk_id;
  if (model.contains("unk_token") && model["unk_token"].is_string()) {
    unk_id = token_to_id(model["unk_token"].get<std::string>());
  }
  const bool byte_fallback = model.value("byte_fallback", false);
  for (int b = 0; b < 256; ++b) {
    std::string symbol;
    utf8::append(symbol, byte_level::byte_to_code_point(static_cast<std::uint8_t>(b)));
    auto id = token_to_id(symbol);
    if (!id && byte_fallback) id = token_to_id(fmt::format("<0x{:02X}>", b));
    if (!id) id = unk_id;
    byte_ids_[b] = id.value_or(-1);
  }
}

std::optional<std::int32_t> BpeModel::token_to_id(std::string_view token) const {
  const auto found = vocab_.find(std::string(token));
  if (found == vocab_.end()) return std::nullopt;
  return found->second;
}

const std::string* BpeModel::id_to_token(std::int32_t id) const {
  const auto found = tokens_.find(id);
  return found == tokens_.end() ? nullptr : &found->second;
}

void BpeModel::encode_word(const std::string& word, std::vector<std::int32_t>& out) const {
  {
    std::lock_guard lock(cache_mutex_);
    const auto found = cache_.find(word);
    if (found != cache_.end()) {
      out.insert(out.end(), found->second.begin(), found->second.end());
      return;
    }
  }
  std::vector<std::int32_t> ids;
  merge_word(word, ids);
  out.insert(out.end(), ids.begin(), ids.end());
  std::lock_guard lock(cache_mutex_);
  if (cache_.size() >= kMaxCachedWords) cache_.clear();  // bound memory on huge inputs
  cache_.emplace(word, std::move(ids));
}

void BpeModel::merge_word(const std::string& word, std::vector<std::int32_t>& out) const {
  if (ignore_merges_) {  // Llama-3: a word that is itself a token is not split
    if (const auto id = token_to_id(byte_level::encode(word))) {
      out.push_back(*id);
      return;
    }
  }
  struct Symbol {
    std::int32_t id;
    int prev;
    int next;
  };
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  for (const char c : word) {
    const std::int32_t id = byte_ids_[static_cast<unsigned char>(c)];
    if (id < 0) continue;
    const int index = static_cast<int>(symbols.size());
    symbols.push_back({id, index - 1, index + 1});
  }
  if (symbols.empty()) return;
  symbols.back().next = -1;

  struct Candidate {
    std::int32_t rank;
    int pos;  // index of the left symbol
    std::int32_t left_id;
    std::int32_t right_id;
    std::int32_t merged_id;
    bool operator>(const Candidate& other) const {
      return rank != other.rank ? rank > other.rank : pos > other.pos;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
  auto consider = [&](int left) {
    const int right = symbols[left].next;
    if (right < 0) return;
    const auto found = merges_.find(pair_key(symbols[left].id, symbols[right].id));
    if (found == merges_.end()) return;
    queue.push({found->second.rank, left, symbols[left].id, symbols[right].id, found->second.merged_id});
  };
  for (int i = 0; i + 1 < static_cast<int>(symbols.size()); ++i) consider(i);

  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Symbol& left = symbols[top.pos];
    // Stale entry: the left symbol was merged away or grew, or its neighbour changed.
    if (left.id != top.left_id || left.next < 0 || symbols[left.next].id != top.right_id) continue;
    Symbol& right = symbols[left.next];
    left.id = top.merged_id;
    right.id = -1;
    left.next = right.next;
    if (left.next >= 0) symbols[left.next].prev = top.pos;
    if (left.prev >= 0) consider(left.prev);
    consider(top.pos);
  }
  for (int i = 0; i >= 0; i = symbols[i].next) out.push_back(symbols[i].id);
}

}  // namespace swan
