// Fixed-offset fields of the small binary files swan writes itself (the base-logit and
// token-score files of `swan eval`): host byte order, which swan requires to be
// little-endian, copied with memcpy so no field needs to be aligned.
#pragma once

#include <bit>
#include <cstddef>
#include <cstring>

#include "swan/core/error.h"

namespace swan {

static_assert(std::endian::native == std::endian::little, "swan's binary files are written in host byte order");

// `bytes`: any contiguous container of one-byte elements (std::string, std::array<unsigned
// char, N>, std::string_view for loading) holding at least offset + sizeof(T) bytes.
template <typename T, typename Bytes>
void store_field(Bytes& bytes, std::size_t offset, T value) {
  static_assert(sizeof(*bytes.data()) == 1);
  SWAN_CHECK(offset + sizeof(T) <= bytes.size(), "field at {} of {} bytes past {} bytes", offset, sizeof(T),
             bytes.size());
  std::memcpy(bytes.data() + offset, &value, sizeof(T));
}

template <typename T, typename Bytes>
T load_field(const Bytes& bytes, std::size_t offset) {
  static_assert(sizeof(*bytes.data()) == 1);
  SWAN_CHECK(offset + sizeof(T) <= bytes.size(), "field at {} of {} bytes past {} bytes", offset, sizeof(T),
             bytes.size());
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

}  // namespace swan
