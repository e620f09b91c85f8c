// Incremental decoding for streamed generation.
#include "swan/tokenizer/streaming_decoder.h"

namespace swan {
namespace {

// Length of `text` without a trailing incomplete UTF-8 sequence.
std::size_t complete_prefix(const std::string& text) {
  std::size_t end = text.size();
  for (std::size_t back = 1; back <= 4 && back <= text.size(); ++back) {
    const auto byte = static_cast<unsigned char>(text[text.size() - back]);
    if ((byte & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
    const std::size_t length = byte < 0x80 ? 1 : (byte >> 5) == 0x6 ? 2 : (byte >> 4) == 0xE ? 3 : (byte >> 3) == 0x1E ? 4 : 1;
    if (length > back) end = text.size() - back;
    break;
  }
  return end;
}

}  // namespace

std::string StreamingDecoder::push(std::int32_t id) {
  ids_.push_back(id);
  const std::string text = tokenizer_.decode(ids_);
  const std::size_t end = complete_prefix(text);
  // A decoder may rewrite earlier text (rare); then release nothing until it settles past it.
  if (end <= emitted_) return {};
  std::string piece = text.substr(emitted_, end - emitted_);
  emitted_ = end;
  return piece;
}

std::string StreamingDecoder::finish() {
  const std::string text = tokenizer_.decode(ids_);
  std::string rest = text.size() > emitted_ ? text.substr(emitted_) : std::string{};
  emitted_ = text.size();
  return rest;
}

}  // namespace swan
