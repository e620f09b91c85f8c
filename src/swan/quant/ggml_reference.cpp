// Scalar reference quantizers and dequantizers for the ggml types; see ggml_quantize.h.
// Each block function follows the spec's arithmetic step by step in float32 and in the
// same accumulation order as ggml's reference (sequential loops), which byte-exactness
// needs. Block layouts are written field by field into byte spans (no struct punning).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>

#include "swan/core/dtype.h"
#include "swan/core/error.h"
#include "swan/core/float_formats.h"
#include "swan/quant/ggml_blocks.h"
#include "swan/quant/ggml_quantize.h"

namespace swan::quant {
namespace {

constexpr int kSuperBlock = 256;
constexpr float kGroupMaxEps = 1e-15f;

using detail::AsymmetricSearch;
using detail::nearest_int;

void store_fp16(std::byte* at, float value) {
  const std::uint16_t bits = float_to_fp16(value);
  std::memcpy(at, &bits, 2);
}
float load_fp16(const std::byte* at) {
  std::uint16_t bits;
  std::memcpy(&bits, at, 2);
  return fp16_to_float(bits);
}
std::uint8_t* bytes_u8(std::byte* p) { return reinterpret_cast<std::uint8_t*>(p); }
const std::uint8_t* bytes_u8(const std::byte* p) { return reinterpret_cast<const std::uint8_t*>(p); }

// ---- legacy 32-element blocks --------------------------------------------------------

// C's float -> int8 conversion, which ggml's legacy quantizers use to truncate. Out of
// range (an Inf from a subnormal block scale) it is undefined in C++; on x86 it gives 0,
// which is what this returns there.
std::int8_t truncate_to_int8(float v) {
  return v > -129.0f && v < 128.0f ? static_cast<std::int8_t>(v) : std::int8_t{0};
}
std::uint8_t truncate_to_uint8(float v) {
  return v > -1.0f && v < 256.0f ? static_cast<std::uint8_t>(v) : std::uint8_t{0};
}

void quantize_q8_0(const float* x, std::byte* block) {
  float amax = 0.0f;
  for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  store_fp16(block, d);
  auto* qs = reinterpret_cast<std::int8_t*>(block + 2);
  for (int j = 0; j < 32; ++j) qs[j] = truncate_to_int8(std::round(x[j] * id));
}

// The element of largest magnitude with its sign; the first one wins a tie.
float signed_absmax(const float* x, int n) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < n; ++j)
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  return max;
}

// Q4_0 / Q5_0: symmetric, the extreme element maps to code 0. `bits` is 4 or 5.
void quantize_symmetric_legacy(const float* x, std::byte* block, int bits) {
  const int levels = 1 << bits;  // 16 or 32
  const float d = signed_absmax(x, 32) / static_cast<float>(-levels / 2);
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  const float offset = static_cast<float>(levels / 2) + 0.5f;
  store_fp16(block, d);
  std::uint8_t* qs = bytes_u8(block + (bits == 5 ? 6 : 2));
  std::uint32_t qh = 0;
  for (int j = 0; j < 16; ++j) {
    // Truncation of a value in [0.5, levels + 0.5): floor, as ggml's int8 cast.
    const int q0 = std::min(levels - 1, static_cast<int>(truncate_to_int8(x[j] * id + offset)));
    const int q1 = std::min(levels - 1, static_cast<int>(truncate_to_int8(x[j + 16] * id + offset)));
    qs[j] = static_cast<std::uint8_t>((q0 & 15) | ((q1 & 15) << 4));
    qh |= static_cast<std::uint32_t>((q0 >> 4) & 1) << j;
    qh |= static_cast<std::uint32_t>((q1 >> 4) & 1) << (j + 16);
  }
  if (bits == 5) std::memcpy(block + 2, &qh, 4);
}

// Q4_1 / Q5_1: asymmetric with the true min and max. `bits` is 4 or 5.
void quantize_asymmetric_legacy(const float* x, std::byte* block, int bits) {
  const int levels = 1 << bits;
  float min = std::numeric_limits<float>::max(), max = -std::numeric_limits<float>::max();
  for (int j = 0; j < 32; ++j) {
    if (x[j] < min) min = x[j];
    if (x[j] > max) max = x[j];
  }
  const float d = (max - min) / static_cast<float>(levels - 1);
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  store_fp16(block, d);
  store_fp16(block + 2, min);
  std::uint8_t* qs = bytes_u8(block + (bits == 5 ? 8 : 4));
  std::uint32_t qh = 0;
  for (int j = 0; j < 16; ++j) {
    // Q4_1's reference clamps to 15; Q5_1's does not (its codes cannot exceed 31).
    auto code = [&](float v) {
      const float shifted = (v - min) * id + 0.5f;
      return bits == 4 ? std::min(15, static_cast<int>(truncate_to_int8(shifted)))
                       : static_cast<int>(truncate_to_uint8(shifted));
    };
    const int q0 = code(x[j]), q1 = code(x[j + 16]);
    qs[j] = static_cast<std::uint8_t>((q0 & 15) | ((q1 & 15) << 4));
    qh |= static_cast<std::uint32_t>((q0 >> 4) & 1) << j;
    qh |= static_cast<std::uint32_t>((q1 >> 4) & 1) << (j + 16);
  }
  if (bits == 5) std::memcpy(block + 4, &qh, 4);
}

// ---- K-quant fits --------------------------------------------------------------------

// Symmetric fit with a search over 19 scales (ggml's make_qx_quants, rmse_type 1: w = x²).
// Codes in [0, 2*nmax) are written to `codes`; returns the scale.
float fit_symmetric(int n, int nmax, const float* x, std::int8_t* codes) {
  float max = 0.0f, amax = 0.0f;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    std::fill(codes, codes + n, std::int8_t{0});
    return 0.0f;
  }
  const float fnmax = static_cast<float>(nmax);
  float iscale = -fnmax / max;
  float sumlx = 0.0f, suml2 = 0.0f;
  for (int i = 0; i < n; ++i) {
    const int l = std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1);
    codes[i] = static_cast<std::int8_t>(l + nmax);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * static_cast<float>(l);
    suml2 += w * static_cast<float>(l) * static_cast<float>(l);
  }
  float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(fnmax + 0.1f * static_cast<float>(is)) / max;
    sumlx = suml2 = 0.0f;
    for (int i = 0; i < n; ++i) {
      const int l = std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1);
      const float w = x[i] * x[i];
      sumlx += w * x[i] * static_cast<float>(l);
      suml2 += w * static_cast<float>(l) * static_cast<float>(l);
    }
    if (suml2 > 0.0f && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i)
        codes[i] = static_cast<std::int8_t>(nmax + std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1));
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

// Symmetric 3-bit fit refined by coordinate descent (ggml's make_q3_quants with rmse).
// Codes in [0, 2*nmax); returns the scale.
float fit_symmetric_descent(int n, int nmax, const float* x, std::int8_t* codes) {
  float max = 0.0f, amax = 0.0f;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    std::fill(codes, codes + n, std::int8_t{0});
    return 0.0f;
  }
  const float iscale = -static_cast<float>(nmax) / max;
  float sumlx = 0.0f, suml2 = 0.0f;
  for (int i = 0; i < n; ++i) {
    const int l = std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1);
    codes[i] = static_cast<std::int8_t>(l);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * static_cast<float>(l);
    suml2 += w * static_cast<float>(l) * static_cast<float>(l);
  }
  for (int attempt = 0; attempt < 5; ++attempt) {
    int changed = 0;
    for (int i = 0; i < n; ++i) {
      const float w = x[i] * x[i];
      const float li = static_cast<float>(codes[i]);
      float slx = sumlx - w * x[i] * li;
      if (slx > 0.0f) {
        float sl2 = suml2 - w * li * li;
        const int new_l = std::clamp(nearest_int(x[i] * sl2 / slx), -nmax, nmax - 1);
        if (new_l != codes[i]) {
          slx += w * x[i] * static_cast<float>(new_l);
          sl2 += w * static_cast<float>(new_l) * static_cast<float>(new_l);
          if (sl2 > 0.0f && slx * slx * suml2 > sumlx * sumlx * sl2) {
            codes[i] = static_cast<std::int8_t>(new_l);
            sumlx = slx;
            suml2 = sl2;
            ++changed;
          }
        }
      }
    }
    if (changed == 0) break;
  }
  for (int i = 0; i < n; ++i) codes[i] = static_cast<std::int8_t>(codes[i] + nmax);
  return sumlx / suml2;
}

// Asymmetric fit x ≈ scale * code - min (ggml's make_qkx2_quants). Codes in [0, nmax].
// Returns the scale; `min_out` receives the non-negative offset subtracted on decode.
float fit_asymmetric(int n, int nmax, const float* x, const float* weights, std::uint8_t* codes, float* min_out,
                     AsymmetricSearch search) {
  float min = x[0], max = x[0];
  float sum_w = weights[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    sum_w += weights[i];
    sum_x += weights[i] * x[i];
  }
  if (min > 0.0f) min = 0.0f;
  if (max == min) {
    std::fill(codes, codes + n, std::uint8_t{0});
    *min_out = -min;
    return 0.0f;
  }
  const float fnmax = static_cast<float>(nmax);
  float iscale = fnmax / (max - min);
  float scale = 1.0f / iscale;
  auto error_of = [&](float diff) { return search.absolute_error ? std::fabs(diff) : diff * diff; };
  float best_error = 0.0f;
  for (int i = 0; i < n; ++i) {
    const int l = std::clamp(nearest_int(iscale * (x[i] - min)), 0, nmax);
    codes[i] = static_cast<std::uint8_t>(l);
    best_error += weights[i] * error_of(scale * static_cast<float>(l) + min - x[i]);
  }
  std::array<std::uint8_t, 32> trial{};
  for (int step = 0; step <= search.steps; ++step) {
    // `min` may have been replaced by an earlier winning trial: ggml uses the updated value.
    iscale = (search.rmin + search.rdelta * static_cast<float>(step) + fnmax) / (max - min);
    float sum_l = 0.0f, sum_l2 = 0.0f, sum_xl = 0.0f;
    for (int i = 0; i < n; ++i) {
      const int l = std::clamp(nearest_int(iscale * (x[i] - min)), 0, nmax);
      trial[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(l);
      const float w = weights[i];
      const float fl = static_cast<float>(l);
      sum_l += w * fl;
      sum_l2 += w * fl * fl;
      sum_xl += w * fl * x[i];
    }
    const float det = sum_w * sum_l2 - sum_l * sum_l;
    if (det > 0.0f) {
      float this_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
      float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / det;
      if (this_min > 0.0f) {
        this_min = 0.0f;
        this_scale = sum_xl / sum_l2;
      }
      float error = 0.0f;
      for (int i = 0; i < n; ++i)
        error += weights[i] * error_of(this_scale * static_cast<float>(trial[static_cast<std::size_t>(i)]) +
                                       this_min - x[i]);
      if (error < best_error) {
        std::copy(trial.begin(), trial.begin() + n, codes);
        best_error = error;
        scale = this_scale;
        min = this_min;
      }
    }
  }
  *min_out = -min;
  return scale;
}

// ---- K-quant blocks ------------------------------------------------------------------

// Q4_K / Q5_K 12-byte packing of eight 6-bit scales and mins.
void pack_scale_min_k4(const std::array<std::uint8_t, 8>& ls, const std::array<std::uint8_t, 8>& lm,
                       std::uint8_t* packed) {
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      packed[j] = ls[static_cast<std::size_t>(j)];
      packed[j + 4] = lm[static_cast<std::size_t>(j)];
    } else {
      const auto s = ls[static_cast<std::size_t>(j)], m = lm[static_cast<std::size_t>(j)];
      packed[j + 4] = static_cast<std::uint8_t>((s & 15) | ((m & 15) << 4));
      packed[j - 4] = static_cast<std::uint8_t>(packed[j - 4] | ((s >> 4) << 6));
      packed[j] = static_cast<std::uint8_t>(packed[j] | ((m >> 4) << 6));
    }
  }
}

void unpack_scale_min_k4(int j, const std::uint8_t* packed, int* scale, int* min) {
  if (j < 4) {
    *scale = packed[j] & 63;
    *min = packed[j + 4] & 63;
  } else {
    *scale = (packed[j + 4] & 15) | ((packed[j - 4] >> 6) << 4);
    *min = (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4);
  }
}

}  // namespace

// Q4_K / Q5_K after the per-sub-block fits, part 1: quantize the 6-bit scales and mins and
// store them with the fp16 super-block scales.
detail::Q45KStoredScales detail::encode_q45_k_scales(const float* scales, const float* mins, std::byte* block) {
  // Running maxima from +0.0 with a strict '>': an all -0.0 set of mins keeps dmin = +0.0.
  float max_scale = 0.0f, max_min = 0.0f;
  for (int j = 0; j < 8; ++j) {
    if (scales[j] > max_scale) max_scale = scales[j];
    if (mins[j] > max_min) max_min = mins[j];
  }
  const float inv_scale = max_scale > 0.0f ? 63.0f / max_scale : 0.0f;
  const float inv_min = max_min > 0.0f ? 63.0f / max_min : 0.0f;
  std::array<std::uint8_t, 8> ls{}, lm{};
  for (std::size_t j = 0; j < 8; ++j) {
    ls[j] = std::min<std::uint8_t>(63, static_cast<std::uint8_t>(nearest_int(inv_scale * scales[j])));
    lm[j] = std::min<std::uint8_t>(63, static_cast<std::uint8_t>(nearest_int(inv_min * mins[j])));
  }
  std::uint8_t* packed_scales = bytes_u8(block + 4);
  pack_scale_min_k4(ls, lm, packed_scales);
  store_fp16(block, max_scale / 63.0f);
  store_fp16(block + 2, max_min / 63.0f);
  const float d_all = load_fp16(block), dmin_all = load_fp16(block + 2);
  Q45KStoredScales stored;
  for (int j = 0; j < 8; ++j) {
    int sc, m;
    unpack_scale_min_k4(j, packed_scales, &sc, &m);
    stored.scale[static_cast<std::size_t>(j)] = d_all * static_cast<float>(sc);
    stored.offset[static_cast<std::size_t>(j)] = dmin_all * static_cast<float>(m);
  }
  return stored;
}

// Part 2: re-derive the codes from the stored values (a zero-scale sub-block keeps the
// fit's codes), pack.
void detail::encode_q45_k_codes(const float* x, const Q45KStoredScales& stored, std::uint8_t* codes,
                                std::byte* block, int bits) {
  const int nmax = (1 << bits) - 1;
  for (std::size_t j = 0; j < 8; ++j) {
    const float d = stored.scale[j];
    if (d == 0.0f) continue;
    const float dm = stored.offset[j];
    for (std::size_t i = 0; i < 32; ++i)
      codes[32 * j + i] =
          static_cast<std::uint8_t>(std::clamp(nearest_int((x[32 * j + i] + dm) / d), 0, nmax));
  }
  if (bits == 4) {
    std::uint8_t* qs = bytes_u8(block + 16);
    for (int c = 0; c < 4; ++c)
      for (int l = 0; l < 32; ++l)
        qs[32 * c + l] = static_cast<std::uint8_t>(codes[64 * c + l] | (codes[64 * c + l + 32] << 4));
    return;
  }
  std::uint8_t* qh = bytes_u8(block + 16);
  std::uint8_t* qs = bytes_u8(block + 48);
  std::fill(qh, qh + 32, std::uint8_t{0});
  for (int c = 0; c < 4; ++c)
    for (int l = 0; l < 32; ++l) {
      const int lo = codes[64 * c + l];
      const int hi = codes[64 * c + l + 32];
      qh[l] = static_cast<std::uint8_t>(qh[l] | ((lo >> 4) << (2 * c)) | ((hi >> 4) << (2 * c + 1)));
      qs[32 * c + l] = static_cast<std::uint8_t>((lo & 15) | ((hi & 15) << 4));
    }
}

void detail::encode_q45_k(const float* x, const float* scales, const float* mins, std::uint8_t* codes,
                          std::byte* block, int bits) {
  encode_q45_k_codes(x, encode_q45_k_scales(scales, mins, block), codes, block, bits);
}

namespace {

// Q4_K (bits 4) and Q5_K (bits 5): 8 sub-blocks of 32, each fitted on its own.
void quantize_q45_k(const float* x, std::byte* block, int bits) {
  const int nmax = (1 << bits) - 1;
  std::array<std::uint8_t, kSuperBlock> codes{};
  std::array<float, 8> scales{}, mins{};
  std::array<float, 32> weights{};
  for (int j = 0; j < 8; ++j) {
    const float* xs = x + 32 * j;
    float sum_x2 = 0.0f;
    for (int l = 0; l < 32; ++l) sum_x2 += xs[l] * xs[l];
    const float av_x = std::sqrt(sum_x2 / 32.0f);
    for (int l = 0; l < 32; ++l) weights[static_cast<std::size_t>(l)] = av_x + std::fabs(xs[l]);
    const auto js = static_cast<std::size_t>(j);
    scales[js] = fit_asymmetric(32, nmax, xs, weights.data(), codes.data() + 32 * j, &mins[js], detail::q45_k_search(bits));
  }
  detail::encode_q45_k(x, scales.data(), mins.data(), codes.data(), block, bits);
}

void quantize_q6_k(const float* x, std::byte* block) {
  std::array<std::int8_t, kSuperBlock> codes{};
  std::array<float, 16> scales{};
  for (int s = 0; s < 16; ++s) scales[static_cast<std::size_t>(s)] = fit_symmetric(16, 32, x + 16 * s, codes.data() + 16 * s);
  detail::encode_q6_k(x, scales.data(), codes.data(), block);
}

}  // namespace

// Q6_K after the 16 sub-block fits, part 1: 8-bit sub-block scales and the fp16
// super-block scale; nothing more when every fit's scale is (nearly) zero.
std::optional<detail::Q6KStoredScales> detail::encode_q6_k_scales(const float* scales, std::byte* block) {
  float max_scale = 0.0f, max_abs_scale = 0.0f;
  for (int s = 0; s < 16; ++s)
    if (std::fabs(scales[s]) > max_abs_scale) {
      max_abs_scale = std::fabs(scales[s]);
      max_scale = scales[s];
    }
  auto* sc = reinterpret_cast<std::int8_t*>(block + 192);
  if (max_abs_scale < kGroupMaxEps) {
    std::memset(block, 0, 210);
    return std::nullopt;
  }
  const float iscale = -128.0f / max_scale;
  store_fp16(block + 208, 1.0f / iscale);
  for (std::size_t s = 0; s < 16; ++s)
    sc[s] = static_cast<std::int8_t>(std::min(127, nearest_int(iscale * scales[s])));
  const float d_all = load_fp16(block + 208);
  Q6KStoredScales stored;
  for (std::size_t s = 0; s < 16; ++s) stored.scale[s] = d_all * static_cast<float>(sc[s]);
  return stored;
}

// Part 2: codes re-derived from the stored scales (a zero-scale sub-block keeps the fit's
// codes), packed.
void detail::encode_q6_k_codes(const float* x, const Q6KStoredScales& stored, std::int8_t* codes, std::byte* block) {
  std::uint8_t* ql = bytes_u8(block);
  std::uint8_t* qh = bytes_u8(block + 128);
  for (std::size_t s = 0; s < 16; ++s) {
    const float d = stored.scale[s];
    if (d == 0.0f) continue;
    for (std::size_t i = 0; i < 16; ++i)
      codes[16 * s + i] =
          static_cast<std::int8_t>(std::clamp(nearest_int(x[16 * s + i] / d), -32, 31) + 32);
  }
  for (int h = 0; h < 2; ++h) {
    const std::int8_t* q = codes + 128 * h;
    for (int l = 0; l < 32; ++l) {
      ql[64 * h + l] = static_cast<std::uint8_t>((q[l] & 15) | ((q[l + 64] & 15) << 4));
      ql[64 * h + l + 32] = static_cast<std::uint8_t>((q[l + 32] & 15) | ((q[l + 96] & 15) << 4));
      qh[32 * h + l] = static_cast<std::uint8_t>((q[l] >> 4) | ((q[l + 32] >> 4) << 2) | ((q[l + 64] >> 4) << 4) |
                                                 ((q[l + 96] >> 4) << 6));
    }
  }
}

void detail::encode_q6_k(const float* x, const float* scales, std::int8_t* codes, std::byte* block) {
  if (const auto stored = encode_q6_k_scales(scales, block)) encode_q6_k_codes(x, *stored, codes, block);
}

namespace {

// 2-bit fields of four 32-element strides per byte, per 128-element half (Q2_K, Q3_K).
template <typename Code>
void pack_2bit_strided(const Code* codes, std::uint8_t* qs) {
  for (int h = 0; h < 2; ++h)
    for (int l = 0; l < 32; ++l) {
      const Code* q = codes + 128 * h;
      qs[32 * h + l] = static_cast<std::uint8_t>((q[l] & 3) | ((q[l + 32] & 3) << 2) | ((q[l + 64] & 3) << 4) |
                                                 ((q[l + 96] & 3) << 6));
    }
}

void quantize_q3_k(const float* x, std::byte* block) {
  std::array<std::int8_t, kSuperBlock> codes{};
  std::array<float, 16> scales{};
  float max_scale = 0.0f, amax = 0.0f;
  for (int s = 0; s < 16; ++s) {
    scales[static_cast<std::size_t>(s)] = fit_symmetric_descent(16, 4, x + 16 * s, codes.data() + 16 * s);
    const float a = std::fabs(scales[static_cast<std::size_t>(s)]);
    if (a > amax) {
      amax = a;
      max_scale = scales[static_cast<std::size_t>(s)];
    }
  }
  std::uint8_t* hmask = bytes_u8(block);
  std::uint8_t* qs = bytes_u8(block + 32);
  std::uint8_t* sc = bytes_u8(block + 96);
  std::fill(sc, sc + 12, std::uint8_t{0});
  if (max_scale != 0.0f) {
    const float iscale = -32.0f / max_scale;
    for (int j = 0; j < 16; ++j) {
      const int l = std::clamp(static_cast<int>(static_cast<std::int8_t>(nearest_int(iscale * scales[static_cast<std::size_t>(j)]))), -32, 31) + 32;
      if (j < 8)
        sc[j] = static_cast<std::uint8_t>(l & 15);
      else
        sc[j - 8] = static_cast<std::uint8_t>(sc[j - 8] | ((l & 15) << 4));
      sc[8 + j % 4] = static_cast<std::uint8_t>(sc[8 + j % 4] | ((l >> 4) << (2 * (j / 4))));
    }
    store_fp16(block + 108, 1.0f / iscale);
  } else {
    store_fp16(block + 108, 0.0f);
  }
  const float d_all = load_fp16(block + 108);
  for (int j = 0; j < 16; ++j) {
    const int low = j < 8 ? sc[j] & 15 : sc[j - 8] >> 4;
    const int s = (low | (((sc[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32;
    const float d = d_all * static_cast<float>(s);
    if (d == 0.0f) continue;
    for (int i = 0; i < 16; ++i)
      codes[static_cast<std::size_t>(16 * j + i)] =
          static_cast<std::int8_t>(std::clamp(nearest_int(x[16 * j + i] / d), -4, 3) + 4);
  }
  std::fill(hmask, hmask + 32, std::uint8_t{0});
  for (int e = 0; e < kSuperBlock; ++e) {
    auto& q = codes[static_cast<std::size_t>(e)];
    if (q > 3) {
      hmask[e % 32] = static_cast<std::uint8_t>(hmask[e % 32] | (1 << (e / 32)));
      q = static_cast<std::int8_t>(q - 4);
    }
  }
  pack_2bit_strided(codes.data(), qs);
}

void quantize_q2_k(const float* x, std::byte* block) {
  std::array<std::uint8_t, kSuperBlock> codes{};
  std::array<float, 16> scales{}, mins{};
  std::array<float, 16> weights{};
  const AsymmetricSearch search{-0.5f, 0.1f, 15, true};
  float max_scale = 0.0f, max_min = 0.0f;
  for (int j = 0; j < 16; ++j) {
    for (int l = 0; l < 16; ++l) weights[static_cast<std::size_t>(l)] = std::fabs(x[16 * j + l]);
    const auto js = static_cast<std::size_t>(j);
    scales[js] = fit_asymmetric(16, 3, x + 16 * j, weights.data(), codes.data() + 16 * j, &mins[js], search);
    if (scales[js] > max_scale) max_scale = scales[js];
    if (mins[js] > max_min) max_min = mins[js];
  }
  std::uint8_t* sc = bytes_u8(block);
  std::uint8_t* qs = bytes_u8(block + 16);
  if (max_scale > 0.0f) {
    const float iscale = 15.0f / max_scale;
    for (std::size_t j = 0; j < 16; ++j) sc[j] = static_cast<std::uint8_t>(nearest_int(iscale * scales[j]));
    store_fp16(block + 80, max_scale / 15.0f);
  } else {
    std::fill(sc, sc + 16, std::uint8_t{0});
    store_fp16(block + 80, 0.0f);
  }
  if (max_min > 0.0f) {
    const float iscale = 15.0f / max_min;
    for (std::size_t j = 0; j < 16; ++j)
      sc[j] = static_cast<std::uint8_t>(sc[j] | (nearest_int(iscale * mins[j]) << 4));
    store_fp16(block + 82, max_min / 15.0f);
  } else {
    store_fp16(block + 82, 0.0f);
  }
  const float d_all = load_fp16(block + 80), dmin_all = load_fp16(block + 82);
  for (int j = 0; j < 16; ++j) {
    const float d = d_all * static_cast<float>(sc[j] & 15);
    if (d == 0.0f) continue;
    const float dm = dmin_all * static_cast<float>(sc[j] >> 4);
    for (int i = 0; i < 16; ++i)
      codes[static_cast<std::size_t>(16 * j + i)] =
          static_cast<std::uint8_t>(std::clamp(nearest_int((x[16 * j + i] + dm) / d), 0, 3));
  }
  pack_2bit_strided(codes.data(), qs);
}

// ---- dequantization ------------------------------------------------------------------

void dequantize_legacy(GgmlType type, const std::byte* block, float* y) {
  const float d = load_fp16(block);
  switch (type) {
    case GgmlType::Q8_0: {
      const auto* qs = reinterpret_cast<const std::int8_t*>(block + 2);
      for (int j = 0; j < 32; ++j) y[j] = static_cast<float>(qs[j]) * d;
      return;
    }
    case GgmlType::Q4_0:
    case GgmlType::Q4_1: {
      const bool has_min = type == GgmlType::Q4_1;
      const float m = has_min ? load_fp16(block + 2) : 0.0f;
      const std::uint8_t* qs = bytes_u8(block + (has_min ? 4 : 2));
      for (int j = 0; j < 16; ++j) {
        const int lo = qs[j] & 15, hi = qs[j] >> 4;
        y[j] = has_min ? static_cast<float>(lo) * d + m : static_cast<float>(lo - 8) * d;
        y[j + 16] = has_min ? static_cast<float>(hi) * d + m : static_cast<float>(hi - 8) * d;
      }
      return;
    }
    default: {  // Q5_0, Q5_1
      const bool has_min = type == GgmlType::Q5_1;
      const float m = has_min ? load_fp16(block + 2) : 0.0f;
      std::uint32_t qh;
      std::memcpy(&qh, block + (has_min ? 4 : 2), 4);
      const std::uint8_t* qs = bytes_u8(block + (has_min ? 8 : 6));
      for (int j = 0; j < 16; ++j) {
        const int lo = (qs[j] & 15) | static_cast<int>(((qh >> j) & 1) << 4);
        const int hi = (qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1) << 4);
        y[j] = has_min ? static_cast<float>(lo) * d + m : static_cast<float>(lo - 16) * d;
        y[j + 16] = has_min ? static_cast<float>(hi) * d + m : static_cast<float>(hi - 16) * d;
      }
      return;
    }
  }
}

void dequantize_q2_k(const std::byte* block, float* y) {
  const std::uint8_t* sc = bytes_u8(block);
  const std::uint8_t* qs = bytes_u8(block + 16);
  const float d = load_fp16(block + 80), dmin = load_fp16(block + 82);
  for (int e = 0; e < kSuperBlock; ++e) {
    const int s = sc[e / 16];
    const int q = (qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3;
    y[e] = d * static_cast<float>(s & 15) * static_cast<float>(q) - dmin * static_cast<float>(s >> 4);
  }
}

void dequantize_q3_k(const std::byte* block, float* y) {
  const std::uint8_t* hmask = bytes_u8(block);
  const std::uint8_t* qs = bytes_u8(block + 32);
  const std::uint8_t* sc = bytes_u8(block + 96);
  const float d_all = load_fp16(block + 108);
  for (int e = 0; e < kSuperBlock; ++e) {
    const int j = e / 16;
    const int low = j < 8 ? sc[j] & 15 : sc[j - 8] >> 4;
    const int s = (low | (((sc[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32;
    const int q2 = (qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3;
    const int q = q2 - ((hmask[e % 32] >> (e / 32)) & 1 ? 0 : 4);
    y[e] = d_all * static_cast<float>(s) * static_cast<float>(q);
  }
}

void dequantize_q45_k(const std::byte* block, float* y, int bits) {
  const float d_all = load_fp16(block), dmin_all = load_fp16(block + 2);
  const std::uint8_t* packed_scales = bytes_u8(block + 4);
  const std::uint8_t* qh = bytes_u8(block + 16);
  const std::uint8_t* qs = bytes_u8(block + (bits == 4 ? 16 : 48));
  for (int j = 0; j < 8; ++j) {
    int sc, m;
    unpack_scale_min_k4(j, packed_scales, &sc, &m);
    const float d = d_all * static_cast<float>(sc);
    const float dm = dmin_all * static_cast<float>(m);
    const int c = j / 2, high = j % 2;
    for (int l = 0; l < 32; ++l) {
      int q = high ? qs[32 * c + l] >> 4 : qs[32 * c + l] & 15;
      if (bits == 5) q |= ((qh[l] >> j) & 1) << 4;
      y[32 * j + l] = d * static_cast<float>(q) - dm;
    }
  }
}

void dequantize_q6_k(const std::byte* block, float* y) {
  const std::uint8_t* ql = bytes_u8(block);
  const std::uint8_t* qh = bytes_u8(block + 128);
  const auto* sc = reinterpret_cast<const std::int8_t*>(block + 192);
  const float d = load_fp16(block + 208);
  for (int e = 0; e < kSuperBlock; ++e) {
    const int h = e / 128, r = e % 128, quarter = r / 32, l = r % 32;
    const std::uint8_t low_byte = ql[64 * h + l + 32 * (quarter % 2)];
    const int low = quarter < 2 ? low_byte & 15 : low_byte >> 4;
    const int high = (qh[32 * h + l] >> (2 * quarter)) & 3;
    const int q = (low | (high << 4)) - 32;
    y[e] = d * static_cast<float>(sc[e / 16]) * static_cast<float>(q);
  }
}

void check_row(GgmlType type, std::size_t elements, std::size_t bytes, const char* what) {
  if (elements % block_elements(type) != 0)
    fail("{}: a row of {} elements is not a whole number of {} blocks ({} elements each)", what, elements,
         ggml_type_name(type), block_elements(type));
  if (bytes != bytes_for(type, elements))
    fail("{}: {} elements of {} take {} bytes, the buffer has {}", what, elements, ggml_type_name(type),
         bytes_for(type, elements), bytes);
}

}  // namespace

void quantize_row_reference(GgmlType type, std::span<const float> row, std::span<std::byte> out) {
  check_row(type, row.size(), out.size(), "ggml quantization");
  switch (type) {
    case GgmlType::F32:
      convert_from_float(row, DType::F32, out);
      return;
    case GgmlType::F16:
      convert_from_float(row, DType::F16, out);
      return;
    case GgmlType::BF16:
      convert_from_float(row, DType::BF16, out);
      return;
    default:
      break;
  }
  const std::size_t n = block_elements(type), size = block_bytes(type);
  for (std::size_t b = 0; b < row.size() / n; ++b) {
    const float* x = row.data() + b * n;
    std::byte* block = out.data() + b * size;
    switch (type) {
      case GgmlType::Q8_0: quantize_q8_0(x, block); break;
      case GgmlType::Q4_0: quantize_symmetric_legacy(x, block, 4); break;
      case GgmlType::Q5_0: quantize_symmetric_legacy(x, block, 5); break;
      case GgmlType::Q4_1: quantize_asymmetric_legacy(x, block, 4); break;
      case GgmlType::Q5_1: quantize_asymmetric_legacy(x, block, 5); break;
      case GgmlType::Q2_K: quantize_q2_k(x, block); break;
      case GgmlType::Q3_K: quantize_q3_k(x, block); break;
      case GgmlType::Q4_K: quantize_q45_k(x, block, 4); break;
      case GgmlType::Q5_K: quantize_q45_k(x, block, 5); break;
      case GgmlType::Q6_K: quantize_q6_k(x, block); break;
      default: fail("no quantizer for ggml type {}", ggml_type_name(type));
    }
  }
}

void dequantize_row_reference(GgmlType type, std::span<const std::byte> row, std::span<float> out) {
  check_row(type, out.size(), row.size(), "ggml dequantization");
  switch (type) {
    case GgmlType::F32:
      convert_to_float(DType::F32, row, out);
      return;
    case GgmlType::F16:
      convert_to_float(DType::F16, row, out);
      return;
    case GgmlType::BF16:
      convert_to_float(DType::BF16, row, out);
      return;
    default:
      break;
  }
  const std::size_t n = block_elements(type), size = block_bytes(type);
  for (std::size_t b = 0; b < out.size() / n; ++b) {
    const std::byte* block = row.data() + b * size;
    float* y = out.data() + b * n;
    switch (type) {
      case GgmlType::Q8_0:
      case GgmlType::Q4_0:
      case GgmlType::Q4_1:
      case GgmlType::Q5_0:
      case GgmlType::Q5_1: dequantize_legacy(type, block, y); break;
      case GgmlType::Q2_K: dequantize_q2_k(block, y); break;
      case GgmlType::Q3_K: dequantize_q3_k(block, y); break;
      case GgmlType::Q4_K: dequantize_q45_k(block, y, 4); break;
      case GgmlType::Q5_K: dequantize_q45_k(block, y, 5); break;
      case GgmlType::Q6_K: dequantize_q6_k(block, y); break;
      default: fail("no dequantizer for ggml type {}", ggml_type_name(type));
    }
  }
}

}  // namespace swan::quant
