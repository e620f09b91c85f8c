// exp for float32 and float64 written so that GCC vectorises the loops that call it (libm's
// expf / exp are scalar calls: expf was ~6% of a prefill in perf, plus SwiGLU's share; the
// float64 exp of every vocabulary entry was the evaluation's log-softmax and KLD).
// Accuracy: float within 2 ulp of expf over [-87, 88], double within 2 ulp of exp over
// [-708, 709] (tested), which keeps logits within 1e-5 and log-probabilities within 1e-15 of
// the libm path.
#pragma once

#include <bit>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace swan::inference {

// min(max(x, low), high) through the floats' bit patterns mapped to integers of the same
// order (sign-magnitude to two's complement): integer min/max vectorise, while GCC keeps a
// float comparison and select as a branch under its default -ftrapping-math, which stopped
// every loop calling exp from vectorising. NaN maps beyond +-inf and so clamps to a bound.
template <typename Float>
inline Float clamp_ordered(Float x, Float low, Float high) {
  using Int = std::conditional_t<sizeof(Float) == 4, std::int32_t, std::int64_t>;
  constexpr int kSignShift = 8 * sizeof(Float) - 1;
  constexpr Int kMagnitude = std::numeric_limits<Int>::max();
  const auto ordered = [](Float value) {
    const Int bits = std::bit_cast<Int>(value);
    return bits ^ ((bits >> kSignShift) & kMagnitude);
  };
  Int key = ordered(x);
  const Int low_key = ordered(low), high_key = ordered(high);
  key = key < low_key ? low_key : key;
  key = key > high_key ? high_key : key;
  return std::bit_cast<Float>(key ^ ((key >> kSignShift) & kMagnitude));
}

// exp(x) = 2^n * exp(r), n = round(x / ln 2), r = x - n ln 2 in [-ln2/2, ln2/2], exp(r) by a
// degree-7 polynomial (Taylor coefficients; truncation error < 1e-8 relative).
// Inputs are clamped to [-87, 88] (results stay normal floats); callers never pass NaN.
inline float fast_exp(float x) {
  x = clamp_ordered(x, -87.0f, 88.0f);
  // Round-to-nearest by adding and subtracting 1.5 * 2^23 (no fast-math needed).
  constexpr float kShifter = 12582912.0f;
  const float shifted = x * 1.44269504088896341f + kShifter;
  const float n = shifted - kShifter;
  // ln 2 split in a part exact in float (n * hi exact for |n| < 2^8) and a correction.
  float r = x - n * 0.693145751953125f;
  r = r - n * 1.428606765330187e-06f;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const std::int32_t exponent = static_cast<std::int32_t>(n) + 127;
  return p * std::bit_cast<float>(exponent << 23);
}

// exp(x) in float64, the same scheme: degree-13 Taylor polynomial on |r| <= ln2/2 (truncation
// < 2e-16 relative), 2^n built in the exponent bits through the shifter's integer bits (no
// double -> int64 conversion, which AVX2 lacks). Inputs clamped to [-708, 709] (normal
// results: exp(-inf) gives 3e-308, not 0, so callers that need an exact 0 test the input).
inline double fast_exp(double x) {
  x = clamp_ordered(x, -708.0, 709.0);
  constexpr double kShifter = 6755399441055744.0;  // 1.5 * 2^52: its low mantissa bits hold n
  const double shifted = x * 1.4426950408889634 + kShifter;
  const double n = shifted - kShifter;
  // ln 2 = hi + lo, hi with 32 significant bits so that n * hi is exact for |n| < 2^20.
  double r = x - n * 0.6931471803691238;
  r = r - n * 1.9082149292705877e-10;
  double p = 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  const std::int64_t exponent = std::bit_cast<std::int64_t>(shifted) - std::bit_cast<std::int64_t>(kShifter) + 1023;
  return p * std::bit_cast<double>(exponent << 52);
}

}  // namespace swan::inference
