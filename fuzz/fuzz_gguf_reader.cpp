// libFuzzer target: the GGUF reader must reject any malformed file with swan::Error and
// never crash, overflow or read out of bounds; the tensors of an accepted file lie inside it
// and their first row decodes with the ggml dequantizers (whatever the bytes hold); the
// tokenizer rebuilt from its tokenizer.* keys is refused with swan::Error or encodes a text.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "swan/core/error.h"
#include "swan/gguf/reader.h"
#include "swan/gguf/tokenizer_from_metadata.h"
#include "swan/quant/ggml_quantize.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  try {
    const auto contents = swan::gguf::parse_gguf(bytes, "fuzz.gguf");
    for (const auto& t : contents.tensors) {
      const std::uint64_t begin = contents.data_offset + t.offset;
      if (begin > size || t.nbytes() > size - begin) __builtin_trap();
      const auto cols = static_cast<std::size_t>(t.row_length());
      if (cols == 0 || cols > (std::size_t{1} << 16) || t.rows() == 0) continue;
      std::vector<float> row(cols);
      swan::quant::dequantize_row_reference(
          t.type, bytes.subspan(static_cast<std::size_t>(begin), swan::quant::bytes_for(t.type, cols)), row);
    }
    if (contents.metadata.find("tokenizer.ggml.model") != nullptr) {
      const auto tokenizer = swan::gguf::tokenizer_from_metadata(contents.metadata, "fuzz.gguf");
      (void)tokenizer->decode(tokenizer->encode("Hello world, <s> 123"));
    }
  } catch (const swan::Error&) {
  }
  return 0;
}
