// Text of a growing list of token ids, handed out piece by piece for streaming output.
// Decoding the ids one at a time is wrong for byte-level BPE (a character may span tokens)
// and for SentencePiece (a piece's leading space depends on its neighbours), so each step
// decodes the whole list and releases what is new, holding back a trailing incomplete UTF-8
// sequence until the token that completes it arrives.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "swan/tokenizer/tokenizer.h"

namespace swan {

class StreamingDecoder {
 public:
  explicit StreamingDecoder(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}
  // Adds a token; returns the text that became final with it (possibly empty).
  std::string push(std::int32_t id);
  // Everything not yet returned (a dangling partial character included).
  std::string finish();
  std::string text() const { return tokenizer_.decode(ids_); }

 private:
  const Tokenizer& tokenizer_;
  std::vector<std::int32_t> ids_;
  std::size_t emitted_ = 0;  // bytes of the decoded text already returned
};

}  // namespace swan
