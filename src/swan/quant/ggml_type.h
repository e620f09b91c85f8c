// The ggml tensor types swan writes into GGUF files, with their block geometry.
// Spec: ../shared/specs/gguf-format.md §4 (type ids from ggml.h, block structs from
// ggml-common.h). A row of n elements of type T is n / block_elements(T) blocks of
// block_bytes(T) bytes, laid out one after another; rows follow each other.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace swan::quant {

// Values are ggml's type ids as stored in a GGUF tensor-info record.
enum class GgmlType : std::uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  BF16 = 30,
};

// Every type above, in ggml id order.
std::span<const GgmlType> ggml_types();

std::string_view ggml_type_name(GgmlType type);  // "Q4_K", "F32", ...
// Case-insensitive ("q4_k" is accepted); nullopt for a name swan does not write.
std::optional<GgmlType> parse_ggml_type(std::string_view name);
// nullopt for an id swan cannot read (IQ*, TQ*, ... are valid ggml but not supported).
std::optional<GgmlType> ggml_type_from_id(std::uint32_t id);

std::size_t block_elements(GgmlType type);  // 1, 32 or 256
std::size_t block_bytes(GgmlType type);     // bytes of one block
bool is_block_quantized(GgmlType type);     // everything but F32, F16, BF16
// The bytes `elements` values of `type` take; `elements` must be a multiple of the block.
std::size_t bytes_for(GgmlType type, std::size_t elements);
// Bits per weight of the format itself (block_bytes * 8 / block_elements).
double bits_per_weight(GgmlType type);

}  // namespace swan::quant
