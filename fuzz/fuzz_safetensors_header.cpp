// libFuzzer target: the safetensors header parser must reject any malformed input with
// swan::Error and never crash, overflow or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <span>

#include "swan/core/error.h"
#include "swan/io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  try {
    const auto header = swan::parse_safetensors_header(bytes, "fuzz.safetensors");
    // Accepted headers must describe tensors that lie inside the buffer.
    for (const auto& tensor : header.tensors) {
      if (header.data_offset + tensor.data_begin + tensor.nbytes > size) __builtin_trap();
    }
  } catch (const swan::Error&) {
  }
  return 0;
}
