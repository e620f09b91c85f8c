// The `pre_tokenizer` section of a HF tokenizer.json: splits normalized text into words
// that BPE encodes independently. Supported steps (flattened from Sequence):
//  - Split with a Regex or String pattern, any behavior (Isolated, Removed,
//    MergedWithPrevious, MergedWithNext, Contiguous) and `invert`;
//  - ByteLevel with add_prefix_space and use_regex (GPT-2's pattern).
// Words stay raw bytes here: the byte → unicode alphabet of ByteLevel is applied by the BPE
// model, which looks bytes up directly (a bijection, so nothing is lost).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "swan/tokenizer/regex.h"

namespace swan {

enum class SplitBehavior { removed, isolated, merged_with_previous, merged_with_next, contiguous };

// One split step: the pieces of `text` cut at the matches of `pattern`.
struct SplitStep {
  Regex pattern;
  SplitBehavior behavior = SplitBehavior::isolated;
  bool invert = false;

  void apply(std::string_view text, std::vector<std::string>& out) const;
};

struct ByteLevelStep {
  bool add_prefix_space = false;
  std::unique_ptr<Regex> gpt2_pattern;  // set when use_regex is true

  void apply(std::string_view text, std::vector<std::string>& out) const;
};

class PreTokenizer {
 public:
  // `where` names the file for error messages. Throws swan::Error for unsupported types.
  static PreTokenizer from_json(const nlohmann::json& spec, std::string_view where);

  // Words of `text` (valid UTF-8), in order, none empty.
  std::vector<std::string> split(std::string_view text) const;
  // True if a ByteLevel step is present, i.e. the model works on bytes.
  bool is_byte_level() const { return byte_level_; }

 private:
  struct Step {
    std::unique_ptr<SplitStep> split;
    std::unique_ptr<ByteLevelStep> byte_level;
  };
  void add_step(const nlohmann::json& spec, std::string_view where);

  std::vector<Step> steps_;
  bool byte_level_ = false;
};

}  // namespace swan
