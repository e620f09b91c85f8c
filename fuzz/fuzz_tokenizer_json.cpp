// libFuzzer target: tokenizer.json (the bounded JSON reader, then the byte-level BPE
// tokenizer built from it, then encoding and decoding a fixed text) must turn any malformed
// input into swan::Error, never a crash, a hang or an allocation sized by a hostile id.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "swan/core/error.h"
#include "swan/io/json_reader.h"
#include "swan/tokenizer/bpe_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto json = swan::parse_unordered_json(text, "fuzz/tokenizer.json");
    const swan::BpeTokenizer tokenizer(json, {}, "fuzz/tokenizer.json");
    const auto ids = tokenizer.encode("Hello, world! 12 <|im_end|> \xc3\xa9t\xc3\xa9\n");
    (void)tokenizer.decode(ids);
  } catch (const swan::Error&) {
  }
  return 0;
}
