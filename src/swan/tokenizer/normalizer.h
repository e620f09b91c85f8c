// The `normalizer` section of a HF tokenizer.json: Unicode normalization applied to text
// before pre-tokenization (Qwen uses NFC). Implemented with utf8proc. Supported: null,
// NFC, NFD, NFKC, NFKD and Sequence of those; anything else is rejected when loading so
// that swan never silently tokenizes differently from the model's tokenizer.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace swan {

class Normalizer {
 public:
  enum class Form { nfc, nfd, nfkc, nfkd };

  Normalizer() = default;  // identity
  // `where` names the file for error messages.
  static Normalizer from_json(const nlohmann::json& spec, std::string_view where);

  bool is_identity() const { return forms_.empty(); }
  // `text` must be valid UTF-8.
  std::string apply(std::string_view text) const;

 private:
  std::vector<Form> forms_;
};

}  // namespace swan
