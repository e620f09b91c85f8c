// Affine quantization beyond the goldens: hand-worked groups and bit layouts (spec §1.4,
// §2.2), the fast kernels against the reference on random shapes / formats / thread counts,
// and the per-element error bound of the round trip.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "swan/core/error.h"
#include "swan/core/float_formats.h"
#include "swan/quant/affine.h"

namespace swan::quant {
namespace {

struct Quantized {
  std::vector<std::uint32_t> packed;
  std::vector<float> scales, biases;
};

Quantized quantize(const std::vector<float>& w, std::size_t rows, std::size_t cols, AffineFormat format,
                   DType dtype, bool fast, int threads = 0) {
  Quantized q;
  q.packed.assign(rows * packed_words_per_row(cols, format.bits), 0x5a5a5a5au);
  q.scales.assign(rows * groups_per_row(cols, format.group_size), 0.0f);
  q.biases.assign(q.scales.size(), 0.0f);
  if (fast) {
    quantize_affine(w, rows, cols, format, dtype, q.packed, q.scales, q.biases, threads);
  } else {
    quantize_affine_reference(w, rows, cols, format, dtype, q.packed, q.scales, q.biases);
  }
  return q;
}

std::vector<std::uint32_t> bits_of(const std::vector<float>& v) {
  std::vector<std::uint32_t> out(v.size());
  std::memcpy(out.data(), v.data(), v.size() * 4);
  return out;
}

// Random weights with the shapes of trouble: normal, outliers, constant, all-negative,
// all-zero, half-integer ties; rounded to `dtype` like real model weights.
std::vector<float> random_weights(std::size_t rows, std::size_t cols, int group_size, DType dtype,
                                  std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> kind_of(0, 7);
  std::uniform_int_distribution<int> small_int(-20, 20);
  std::vector<float> w(rows * cols);
  for (std::size_t g = 0; g < w.size(); g += static_cast<std::size_t>(group_size)) {
    const int kind = kind_of(rng);
    const float scale = std::ldexp(1.0f, std::uniform_int_distribution<int>(-12, 4)(rng));
    const float constant = normal(rng);
    for (int j = 0; j < group_size; ++j) {
      float x = normal(rng) * scale;
      if (kind == 1 && j == 3) x = 100.0f * scale;                // outlier
      if (kind == 2) x = constant;                                // constant group
      if (kind == 3) x = -1.0f - std::fabs(normal(rng));          // all negative
      if (kind == 4) x = 0.0f;                                    // all zero
      if (kind == 5) x = 0.5f * static_cast<float>(small_int(rng));  // exact ties
      if (kind == 6) x = normal(rng) * 1e-8f;                     // eps clamp / q0 == 0
      w[g + static_cast<std::size_t>(j)] = x;
    }
  }
  if (dtype == DType::F16) {
    for (float& x : w) x = fp16_to_float(float_to_fp16(x));
  } else if (dtype == DType::BF16) {
    for (float& x : w) x = bf16_to_float(float_to_bf16(x));
  }
  return w;
}

// A 4-bit group of 0..15 twice: range [0, 15], positive edge wins, so scale = -1, bias = 15
// and code = 15 - x. Words hold codes low nibble first.
TEST(AffineQuantize, HandWorkedFourBitGroup) {
  std::vector<float> w(32);
  for (int i = 0; i < 32; ++i) w[static_cast<std::size_t>(i)] = static_cast<float>(i % 16);
  for (const bool fast : {false, true}) {
    const Quantized q = quantize(w, 1, 32, {4, 32}, DType::BF16, fast);
    EXPECT_EQ(q.scales, std::vector<float>{-1.0f});
    EXPECT_EQ(q.biases, std::vector<float>{15.0f});
    EXPECT_EQ(q.packed, (std::vector<std::uint32_t>{0x89abcdefu, 0x01234567u, 0x89abcdefu, 0x01234567u}));
  }
}

// Spec §1.4: all-zero group -> scale = -1e-7 rounded (fp16 0x8002, bf16 0xb3d7), bias +0, codes 0.
TEST(AffineQuantize, AllZeroGroupStoresNegativeEpsScale) {
  const std::vector<float> w(64, 0.0f);
  for (const bool fast : {false, true}) {
    const Quantized h = quantize(w, 1, 64, {8, 64}, DType::F16, fast);
    EXPECT_EQ(float_to_fp16(h.scales[0]), 0x8002u);
    EXPECT_EQ(std::bit_cast<std::uint32_t>(h.biases[0]), 0u);
    const Quantized b = quantize(w, 1, 64, {8, 64}, DType::BF16, fast);
    EXPECT_EQ(float_to_bf16(b.scales[0]), 0xb3d7u);
    EXPECT_EQ(std::bit_cast<std::uint32_t>(b.biases[0]), 0u);
    for (std::uint32_t word : b.packed) EXPECT_EQ(word, 0u);
  }
}

// Spec §1.4: a constant negative group still takes the max-edge branch and dequantizes to c.
TEST(AffineQuantize, ConstantNegativeGroupIsExact) {
  const float c = bf16_to_float(float_to_bf16(-1.7f));
  const std::vector<float> w(32, c);
  const Quantized q = quantize(w, 1, 32, {3, 32}, DType::BF16, true);
  EXPECT_LT(q.scales[0], 0.0f);
  EXPECT_EQ(q.biases[0], c);
  std::vector<float> out(32);
  dequantize_affine(q.packed, q.scales, q.biases, 1, 32, {3, 32}, out);
  for (float x : out) EXPECT_EQ(x, c);
}

// Spec §2.2, 3 bits: byte0 = q0 | q1<<3 | (q2&3)<<6; byte1 = q2>>2 | q3<<1 | q4<<4 | (q5&1)<<7;
// byte2 = q5>>1 | q6<<2 | q7<<5. Weights 7 - code give range [0, 7], scale -1, bias 7.
TEST(AffineQuantize, ThreeBitLayoutFollowsSpecByteFormulas) {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> code_of(0, 7);
  std::vector<std::uint32_t> codes(32);
  for (std::uint32_t& c : codes) c = static_cast<std::uint32_t>(code_of(rng));
  codes[0] = 0;
  codes[1] = 7;  // make the range exactly [0, 7]
  std::vector<std::uint8_t> bytes;
  for (std::size_t k = 0; k < 32; k += 8) {
    const std::uint32_t* q = codes.data() + k;
    bytes.push_back(static_cast<std::uint8_t>(q[0] | q[1] << 3 | (q[2] & 3) << 6));
    bytes.push_back(static_cast<std::uint8_t>(q[2] >> 2 | q[3] << 1 | q[4] << 4 | (q[5] & 1) << 7));
    bytes.push_back(static_cast<std::uint8_t>(q[5] >> 1 | q[6] << 2 | q[7] << 5));
  }
  std::vector<std::uint32_t> expected(3);
  std::memcpy(expected.data(), bytes.data(), 12);

  std::vector<float> w(32);
  for (std::size_t i = 0; i < 32; ++i) w[i] = 7.0f - static_cast<float>(codes[i]);
  for (const bool fast : {false, true}) {
    const Quantized q = quantize(w, 1, 32, {3, 32}, DType::F16, fast);
    EXPECT_EQ(q.packed, expected);
  }
  std::vector<std::uint8_t> unpacked(32);
  unpack_row(expected, 32, 3, unpacked);
  for (std::size_t i = 0; i < 32; ++i) EXPECT_EQ(unpacked[i], codes[i]) << i;
}

// Spec §2.2, 6 bits: q[5] takes word0 bits 30-31 (its low 2 bits) and word1 bits 0-3.
TEST(AffineQuantize, SixBitStraddlerSpansWords) {
  std::vector<std::uint32_t> words(6, 0u);
  words[0] = 0x2u << 30;  // low bits of q5 = 0b10
  words[1] = 0xbu;        // high bits of q5 = 0b1011
  std::vector<std::uint8_t> codes(32);
  unpack_row(words, 32, 6, codes);
  EXPECT_EQ(codes[5], 0b101110u);
  for (std::size_t i = 0; i < 32; ++i) {
    if (i != 5) {
      EXPECT_EQ(codes[i], 0u) << i;
    }
  }
}

TEST(AffineQuantize, RejectsUnsupportedFormatsAndShapes) {
  const std::vector<float> w(96, 1.0f);
  std::vector<std::uint32_t> packed(96);
  std::vector<float> scales(3), biases(3);
  EXPECT_THROW(quantize_affine(w, 1, 96, {7, 32}, DType::BF16, packed, scales, biases), Error);
  EXPECT_THROW(quantize_affine(w, 1, 96, {4, 48}, DType::BF16, packed, scales, biases), Error);
  EXPECT_THROW(quantize_affine(w, 1, 96, {4, 64}, DType::BF16, packed, scales, biases), Error);  // 96 % 64
  EXPECT_THROW(quantize_affine(w, 1, 96, {4, 32}, DType::I8, packed, scales, biases), Error);
  EXPECT_THROW(quantize_affine(w, 1, 96, {4, 32}, DType::BF16, packed, scales, biases), Error);  // packed size
  EXPECT_THROW(quantize_affine_reference(w, 1, 96, {4, 32}, DType::BF16, packed, scales, biases), Error);
}

TEST(AffineQuantize, FastMatchesReferenceOnRandomShapesFormatsAndThreads) {
  std::mt19937 rng(2024);
  std::size_t compared = 0;
  for (const int bits : {2, 3, 4, 5, 6, 8}) {
    for (const int group_size : {32, 64, 128}) {
      for (const DType dtype : {DType::F16, DType::BF16, DType::F32}) {
        const std::size_t rows = std::uniform_int_distribution<std::size_t>(1, 9)(rng);
        const std::size_t cols =
            static_cast<std::size_t>(group_size) * std::uniform_int_distribution<std::size_t>(1, 5)(rng);
        const std::vector<float> w = random_weights(rows, cols, group_size, dtype, rng);
        const AffineFormat format{bits, group_size};
        const Quantized reference = quantize(w, rows, cols, format, dtype, false);
        for (const int threads : {1, 2, 4}) {
          SCOPED_TRACE(testing::Message() << "bits=" << bits << " gs=" << group_size << " dtype="
                                          << dtype_name(dtype) << " " << rows << "x" << cols
                                          << " threads=" << threads);
          const Quantized fast = quantize(w, rows, cols, format, dtype, true, threads);
          EXPECT_EQ(fast.packed, reference.packed);
          EXPECT_EQ(bits_of(fast.scales), bits_of(reference.scales));
          EXPECT_EQ(bits_of(fast.biases), bits_of(reference.biases));
          ++compared;
        }
      }
    }
  }
  EXPECT_EQ(compared, 6u * 3u * 3u * 3u);
}

TEST(AffineDequantize, FastMatchesReferenceOnRandomPackedData) {
  std::mt19937 rng(77);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (const int bits : {2, 3, 4, 5, 6, 8}) {
    for (const int group_size : {32, 64, 128}) {
      const std::size_t rows = 5, cols = static_cast<std::size_t>(group_size) * 3;
      const AffineFormat format{bits, group_size};
      std::vector<std::uint32_t> packed(rows * packed_words_per_row(cols, bits));
      for (std::uint32_t& word : packed) word = static_cast<std::uint32_t>(rng());
      std::vector<float> scales(rows * 3), biases(rows * 3);
      for (float& s : scales) s = normal(rng);
      for (float& b : biases) b = normal(rng);
      std::vector<float> fast(rows * cols), reference(rows * cols), slice(2 * cols);
      dequantize_affine(packed, scales, biases, rows, cols, format, fast);
      dequantize_affine_reference(packed, scales, biases, rows, cols, format, reference);
      dequantize_rows(packed, scales, biases, 2, 4, cols, format, slice);
      EXPECT_EQ(bits_of(fast), bits_of(reference)) << "bits=" << bits << " gs=" << group_size;
      EXPECT_EQ(bits_of(slice), bits_of(std::vector<float>(reference.begin() + 2 * static_cast<std::ptrdiff_t>(cols),
                                                           reference.begin() + 4 * static_cast<std::ptrdiff_t>(cols))));
    }
  }
}

// Round trip: an element whose code was not clamped is reconstructed within half a step,
// plus the error of rounding scale and bias to the stored dtype (unit roundoff u relative,
// or half the fp16 subnormal spacing 2^-25 absolute: small fp16 scales are subnormal), plus
// a few float32 roundings. With F32 parameters the bound is |scale|/2 (+ roundings) exactly.
TEST(AffineRoundTrip, UnclampedElementsWithinHalfAStep) {
  std::mt19937 rng(99);
  std::size_t checked = 0;
  for (const int bits : {2, 3, 4, 5, 6, 8}) {
    for (const int group_size : {32, 64, 128}) {
      for (const DType dtype : {DType::F32, DType::BF16, DType::F16}) {
        const double u = dtype == DType::F32 ? 0.0 : dtype == DType::BF16 ? std::ldexp(1.0, -8) : std::ldexp(1.0, -11);
        const double floor = dtype == DType::F16 ? std::ldexp(1.0, -25) : 0.0;
        const std::size_t rows = 4, cols = static_cast<std::size_t>(group_size) * 4;
        const AffineFormat format{bits, group_size};
        std::vector<float> w = random_weights(rows, cols, group_size, dtype, rng);
        const Quantized q = quantize(w, rows, cols, format, dtype, true);
        std::vector<float> w_hat(rows * cols);
        dequantize_affine(q.packed, q.scales, q.biases, rows, cols, format, w_hat);
        const float n_bins = static_cast<float>((1 << bits) - 1);
        for (std::size_t i = 0; i < w.size(); ++i) {
          const std::size_t g = i / static_cast<std::size_t>(group_size);
          const double s = q.scales[g], b = q.biases[g];
          const double t = std::nearbyint((static_cast<double>(w[i]) - b) / s);
          if (t < 0.0 || t > n_bins) continue;  // clamped (the far end of the range)
          const double slack = 8.0 * std::ldexp(1.0, -24) * (std::fabs(w[i]) + std::fabs(b) + n_bins * std::fabs(s));
          const double scale_error = std::fabs(s) * u + floor;
          const double bias_error = std::fabs(b) * u + floor;
          const double bound = (std::fabs(s) + scale_error) / 2.0 + n_bins * scale_error + bias_error + slack;
          EXPECT_LE(std::fabs(static_cast<double>(w[i]) - w_hat[i]), bound)
              << "bits=" << bits << " gs=" << group_size << " " << dtype_name(dtype) << " i=" << i << " w=" << w[i]
              << " w_hat=" << w_hat[i] << " scale=" << s << " bias=" << b;
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 10000u);
}

// The sign trick: the element of largest magnitude (the edge) maps to code 0 and comes back
// exactly when the bias is stored in float32 and q0 != 0.
TEST(AffineRoundTrip, EdgeElementIsExactWithFloat32Parameters) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const std::size_t cols = 256;
  std::vector<float> w(cols);
  for (float& x : w) x = normal(rng);
  const Quantized q = quantize(w, 1, cols, {4, 64}, DType::F32, true);
  std::vector<float> w_hat(cols);
  dequantize_affine(q.packed, q.scales, q.biases, 1, cols, {4, 64}, w_hat);
  for (std::size_t g = 0; g < 4; ++g) {
    std::size_t edge = g * 64;
    for (std::size_t j = g * 64; j < (g + 1) * 64; ++j) {
      if (std::fabs(w[j]) > std::fabs(w[edge])) edge = j;
    }
    EXPECT_EQ(w_hat[edge], w[edge]) << "group " << g;
    EXPECT_EQ(q.biases[g], w[edge]);
  }
}

}  // namespace
}  // namespace swan::quant
