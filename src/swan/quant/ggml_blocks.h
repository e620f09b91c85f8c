// Internal to quant/: pieces of the ggml block quantizers shared by the scalar reference
// (ggml_reference.cpp) and the lane-parallel fast path (ggml_fast.cpp), so both run the
// same code after the per-sub-block fits and only the fits differ in how they are scheduled.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace swan::quant::detail {

// Round half to even through float addition of 1.5 * 2^23 (ggml's nearest_int); valid
// for |v| < 2^22, which every caller guarantees by construction.
inline int nearest_int(float value) {
  const auto bits = std::bit_cast<std::int32_t>(value + 12582912.0f);
  return (bits & 0x007fffff) - 0x00400000;
}

// Search of ggml's asymmetric fit (make_qkx2_quants).
struct AsymmetricSearch {
  float rmin;
  float rdelta;
  int steps;
  bool absolute_error;  // else squared error
};

inline AsymmetricSearch q45_k_search(int bits) {
  return bits == 4 ? AsymmetricSearch{-1.0f, 0.1f, 20, false} : AsymmetricSearch{-0.5f, 0.1f, 15, false};
}

// Q4_K / Q5_K (bits 4 / 5) from the 8 sub-block fits (scales, mins, codes of 256 elements).
void encode_q45_k(const float* x, const float* scales, const float* mins, std::uint8_t* codes, std::byte* block,
                  int bits);
// encode_q45_k in two steps, for a caller that computes a fit's codes only where they are
// kept: the stored scales and offsets first (code = (x + offset) / scale, as stored), then
// the codes re-derived from them. A sub-block whose stored scale is 0 keeps the fit's
// codes, so only those need to be in `codes` when the second step is called.
struct Q45KStoredScales {
  std::array<float, 8> scale{}, offset{};
};
Q45KStoredScales encode_q45_k_scales(const float* scales, const float* mins, std::byte* block);
void encode_q45_k_codes(const float* x, const Q45KStoredScales& stored, std::uint8_t* codes, std::byte* block,
                        int bits);

// Q6_K from the 16 sub-block fits (scales, codes 0..63 of 256 elements).
void encode_q6_k(const float* x, const float* scales, std::int8_t* codes, std::byte* block);
// The same two steps for Q6_K; no stored scales when the whole super-block is stored as
// zeros (then the block is complete and the codes are not needed).
struct Q6KStoredScales {
  std::array<float, 16> scale{};
};
std::optional<Q6KStoredScales> encode_q6_k_scales(const float* scales, std::byte* block);
void encode_q6_k_codes(const float* x, const Q6KStoredScales& stored, std::int8_t* codes, std::byte* block);

// One row of Q6_K with 8 sub-block fits at a time side by side; byte-identical.
void quantize_row_q6_k_fast(const float* x, std::size_t n, std::byte* out);

// One row of Q4_K / Q5_K with the 8 sub-block fits of each super-block run side by side
// (one lane each); byte-identical to the reference.
void quantize_row_q45_k_fast(const float* x, std::size_t n, std::byte* out, int bits);

}  // namespace swan::quant::detail
