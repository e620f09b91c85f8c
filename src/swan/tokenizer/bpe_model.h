// The `model` section of a byte-level BPE tokenizer.json: the vocabulary (token text in
// GPT-2's byte alphabet → id) and the ranked merges. encode_word() turns one pre-tokenized
// word (raw bytes) into ids by repeatedly applying the lowest-ranked merge among adjacent
// symbols (leftmost first on ties), exactly as HF tokenizers' BPE model does.
//
// Speed: symbols are a linked list and candidate merges sit in a priority queue
// (O(n log n) per word), and results are cached per word, because natural text repeats its
// words: WikiText-2's test split has ~250k words but only ~30k distinct ones.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

namespace swan {

class BpeModel {
 public:
  // `model` is tokenizer.json's "model" object; `where` names the file for error messages.
  // Accepts merges as "a b" strings or ["a", "b"] pairs. Throws swan::Error if the model is
  // not BPE, or a merge names a token that is not in the vocabulary.
  BpeModel(const nlohmann::json& model, std::string_view where);
  BpeModel(const BpeModel&) = delete;
  BpeModel& operator=(const BpeModel&) = delete;

  // Appends the ids of `word` (raw bytes of one pre-tokenized word) to `out`. Thread-safe.
  void encode_word(const std::string& word, std::vector<std::int32_t>& out) const;

  std::optional<std::int32_t> token_to_id(std::string_view token) const;
  // Token text (in the byte alphabet), or nullptr for an id the vocabulary does not use.
  const std::string* id_to_token(std::int32_t id) const;
  // Largest vocabulary id + 1.
  std::size_t size() const { return id_end_; }  // largest id + 1 (ids may have gaps)
  std::size_t merge_count() const { return merges_.size(); }

 private:
  struct Merge {
    std::int32_t rank;
    std::int32_t merged_id;
  };
  static std::uint64_t pair_key(std::int32_t left, std::int32_t right) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(left)) << 32) |
           static_cast<std::uint32_t>(right);
  }
  void merge_word(const std::string& word, std::vector<std::int32_t>& out) const;

  std::unordered_map<std::string, std::int32_t> vocab_;
  // By id. A map, not a vector indexed by id: ids come from the file, and a trimmed
  // vocabulary (or a hostile id of 2^31 - 1) must not size an allocation.
  std::unordered_map<std::int32_t, std::string> tokens_;
  std::size_t id_end_ = 0;
  std::unordered_map<std::uint64_t, Merge> merges_;
  std::array<std::int32_t, 256> byte_ids_{};  // initial symbol of each byte; -1: dropped
  bool ignore_merges_ = false;

  static constexpr std::size_t kMaxCachedWords = 1 << 18;
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<std::int32_t>> cache_;
};

}  // namespace swan
