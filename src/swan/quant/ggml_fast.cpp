// Lane-parallel Q4_K / Q5_K / Q6_K: 16 sub-block fits run side by side, one lane each (the
// 8 sub-blocks of two Q4_K/Q5_K super-blocks, or the 16 of one Q6_K super-block), so every
// loop body is 16 independent copies of the reference's scalar step and the compiler
// vectorises across lanes. Each lane performs exactly the reference's float operations in
// the reference's order, and branches become per-lane selects, so the bytes are identical
// to ggml_reference.cpp's (tests compare them on every type and on llama.cpp's own files).
//
// Why 16 lanes, not 8: every fit sums 16 or 32 terms one after another (the reference's
// order), a chain of dependent additions whose latency, not the arithmetic, bounded the
// 8-lane version; two independent chains per step keep the floating-point units busy.
//
// Exact shortcuts against the reference's literal steps (with the 16 lanes, CPU time per
// weight in bench/ggml_quant_bench against the 8-lane version: Q4_K 15.2 -> 9.1 ns, Q6_K
// 8.8 -> 5.0-6.4 ns, on a loaded machine):
// - A code is clamp(nearest_int(v), lo, hi). For |v| < 2^22 that is v clamped to [lo, hi]
//   in float, then rounded half to even (one max, min and round each with AVX; the rounding
//   magic elsewhere), and the code is already the float the sums need. Q6_K's v are bounded
//   by construction (|v| <= 33); Q4_K/Q5_K's are checked per trial at the data's extremes
//   (v is monotonic in x), and a super-block where any could reach 2^21 (a tiny or
//   degenerate range after a refit) is handed to the scalar reference instead.
// - x - min is computed inside each trial's loop, as the reference does, rather than kept in
//   an array refreshed after every win (some lane of 16 wins almost every trial, and the
//   separate pass cost more than the subtraction).
// - The search only needs the winning trial's codes at the end: each lane records the
//   winning scale factor and offset, instead of copying the codes on every win. And the
//   codes are recomputed only if the encoder keeps them: it re-derives every code from the
//   stored (fp16 / 6-bit) scales, except in a sub-block stored with a zero scale, so the
//   fit's codes are computed only for a pair of super-blocks that has one.
// - Sub-blocks are turned into lanes by 8 x 8 transposes in registers (AVX) instead of
//   element by element.
// - A clamp that no code of the trial can reach is skipped: the trial's scale factor is
//   c / range with every x within the range, so its codes are at most c (1 + 2^-24)^2 in
//   magnitude, and for c up to nmax + 0.49 they cannot round past nmax (rounds_within).
//   That is Q4_K's top clamp in 15 of 21 trials, Q5_K's in 10 of 16, Q6_K's bottom clamp
//   in 12 of 18 and its top clamp in 4 of those (and each type's first fit; thread CPU
//   time, best of 25, same run: Q4_K 7.69 -> 7.47 ns, Q5_K 6.41 -> 6.09, Q6_K 3.87 ->
//   3.74 without the Q6_K top clamps). The tests fail if the margin is widened to let one
//   more trial in.
// These last three, the integer clamps, the early divisions and Q6_K's paired trials
// (below) took Q4_K from 8.5 to 6.7 ns, Q5_K 6.9 -> 5.4, Q6_K 4.2 -> 3.5 (ggml_quant_bench,
// load ~6). What is left is throughput-bound: ~20 vector operations per element and trial
// in the trial loop and 12 in the error loop, which the reference's order fixes (two
// searches interleaved to hide the divisions measured no faster).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <span>

#ifdef __AVX__
#include <immintrin.h>
#endif

#include "swan/quant/ggml_blocks.h"
#include "swan/quant/ggml_quantize.h"

namespace swan::quant::detail {
namespace {

constexpr int kLanes = 16;

// Sixteen float / int lanes as two halves of GCC/Clang 8-lane vector types (one AVX2
// register each; a 16-lane vector type would be split into scalar code without AVX-512).
// The arithmetic operators act lane by lane with IEEE semantics, so each lane computes
// exactly what the scalar code would.
typedef float F8 __attribute__((vector_size(32)));
typedef int I8 __attribute__((vector_size(32)));

template <typename Half>
struct Wide {
  Half lo, hi;
};
using F = Wide<F8>;
using I = Wide<I8>;

#define SWAN_WIDE_BINARY(R, A, B, op)                                                          \
  inline R operator op(A a, B b) { return {lane_lo(a) op lane_lo(b), lane_hi(a) op lane_hi(b)}; }
template <typename T> T lane_lo(const Wide<T>& w) { return w.lo; }
template <typename T> T lane_hi(const Wide<T>& w) { return w.hi; }
inline float lane_lo(float f) { return f; }
inline float lane_hi(float f) { return f; }
inline int lane_lo(int i) { return i; }
inline int lane_hi(int i) { return i; }
#define SWAN_WIDE_ARITHMETIC(op) \
  SWAN_WIDE_BINARY(F, F, F, op) SWAN_WIDE_BINARY(F, F, float, op) SWAN_WIDE_BINARY(F, float, F, op)
SWAN_WIDE_ARITHMETIC(+)
SWAN_WIDE_ARITHMETIC(-)
SWAN_WIDE_ARITHMETIC(*)
SWAN_WIDE_ARITHMETIC(/)
#define SWAN_WIDE_COMPARE(op) SWAN_WIDE_BINARY(I, F, F, op) SWAN_WIDE_BINARY(I, F, float, op)
SWAN_WIDE_COMPARE(<)
SWAN_WIDE_COMPARE(>)
SWAN_WIDE_COMPARE(==)
SWAN_WIDE_COMPARE(!=)
SWAN_WIDE_BINARY(I, I, I, &)
SWAN_WIDE_BINARY(I, I, I, |)
SWAN_WIDE_BINARY(I, I, int, &)
SWAN_WIDE_BINARY(I, I, int, +)
#undef SWAN_WIDE_COMPARE
#undef SWAN_WIDE_ARITHMETIC
#undef SWAN_WIDE_BINARY
inline F operator-(F a) { return {-a.lo, -a.hi}; }
inline I operator~(I a) { return {~a.lo, ~a.hi}; }
inline F& operator+=(F& a, F b) { return a = a + b; }
inline I& operator|=(I& a, I b) { return a = a | b; }

using Lanes = std::array<float, kLanes>;

constexpr float kRoundingMagic = 12582912.0f;  // 1.5 * 2^23, ggml's nearest_int
constexpr float kSafeMagnitude = 2097152.0f;   // 2^21: nearest_int is exact well below 2^22

F splat(float f) { return {F8{} + f, F8{} + f}; }
I splat_int(int i) { return {I8{} + i, I8{} + i}; }
F as_float(I v) { return {reinterpret_cast<F8>(v.lo), reinterpret_cast<F8>(v.hi)}; }
I as_int(F v) { return {reinterpret_cast<I8>(v.lo), reinterpret_cast<I8>(v.hi)}; }
// mask lanes are all ones or all zeros (vector comparison results).
I select(I mask, I a, I b) { return (mask & a) | (~mask & b); }
F select(I mask, F a, F b) { return as_float(select(mask, as_int(a), as_int(b))); }
F abs(F v) { return as_float(as_int(v) & 0x7fffffff); }
bool any(I mask) {
#ifdef __AVX__
  const auto m = reinterpret_cast<__m256i>(mask.lo | mask.hi);
  return _mm256_testz_si256(m, m) == 0;
#else
  std::array<int, kLanes> lanes;
  std::memcpy(lanes.data(), &mask, sizeof(mask));
  return std::any_of(lanes.begin(), lanes.end(), [](int m) { return m != 0; });
#endif
}
// clamp(nearest_int(v), lo, hi) as a float, for |v| < 2^22 (see the file comment). With
// AVX, max/min/round are one instruction each; the generic selects and the rounding magic
// give the same values (a -0.0 code only ever meets additions and products where it acts
// as +0.0).
#ifdef __AVX__
F8 clamp_round(F8 v, F8 lo, F8 hi) {
  return _mm256_round_ps(_mm256_min_ps(_mm256_max_ps(v, lo), hi), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
#else
F8 clamp_round(F8 v, F8 lo, F8 hi) {
  v = v < lo ? lo : v;
  v = v > hi ? hi : v;
  return (v + kRoundingMagic) - kRoundingMagic;
}
#endif
F round_clamped(F v, float lo, float hi) {
  const F8 l = F8{} + lo, h = F8{} + hi;
  return {clamp_round(v.lo, l, h), clamp_round(v.hi, l, h)};
}
// The same for lo = 0 (the asymmetric fits' codes), clamped after rounding as integers:
// non-negative floats order as their bit patterns, and every negative float (-0.0 too) has
// a negative pattern, so max(bits, 0) and min(bits, bits of hi) are the float clamp, and
// clamping an integer-valued float to integer bounds commutes with rounding. Same values,
// +0.0 included. Why: the trial loop is bound by its floating-point operations, and moving
// the two clamps to the integer side measured ~2 % faster (Q4_K 7.0 -> 6.85 ns).
F round_clamped_unsigned(F v, float hi) {
#ifdef __AVX2__
  const __m256i top = _mm256_castps_si256(_mm256_set1_ps(hi)), zero = _mm256_setzero_si256();
  auto half = [&](F8 h) {
    const __m256i bits = _mm256_castps_si256(_mm256_round_ps(h, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    return reinterpret_cast<F8>(_mm256_min_epi32(_mm256_max_epi32(bits, zero), top));
  };
  return {half(v.lo), half(v.hi)};
#else
  return round_clamped(v, 0.0f, hi);
#endif
}
// The two clamps above for a v that cannot round past one of the bounds (checked by the
// caller from how the trial's scale factor was made): that clamp would change nothing, and
// skipping it saves one of the ~17 vector operations per element of Q4_K's trial and error
// loops (one of 9 in Q6_K's), in two thirds of the trials.
F round_clamped_at_zero(F v, float hi) {  // v < hi + 0.5
#ifdef __AVX2__
  (void)hi;
  const __m256i zero = _mm256_setzero_si256();
  auto half = [&](F8 h) {
    const __m256i bits = _mm256_castps_si256(_mm256_round_ps(h, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    return reinterpret_cast<F8>(_mm256_max_epi32(bits, zero));
  };
  return {half(v.lo), half(v.hi)};
#else
  return round_clamped_unsigned(v, hi);
#endif
}
F round_clamped_at_top(F v, float lo, float hi) {  // v >= lo - 0.5
#ifdef __AVX__
  (void)lo;
  const F8 h = F8{} + hi;
  auto half = [&](F8 x) {
    return F8(_mm256_round_ps(_mm256_min_ps(x, h), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  };
  return {half(v.lo), half(v.hi)};
#else
  return round_clamped(v, lo, hi);
#endif
}
F round_unclamped(F v, float lo, float hi) {  // lo - 0.5 <= v < hi + 0.5
#ifdef __AVX__
  (void)lo;
  (void)hi;
  auto half = [](F8 x) { return F8(_mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)); };
  return {half(v.lo), half(v.hi)};
#else
  return round_clamped(v, lo, hi);
#endif
}
// Whether every v = fl(fl(c / d) * e), 0 <= e <= d, rounds to at most `top` (the
// unclamped-top case above): v <= c (1 + u)^2 with u = 2^-24, so c <= top + 0.49 keeps
// v below top + 0.5, whose rounding (half to even) could be top + 1. Likewise |v| for
// |e| <= |d| against a lower bound -top.
bool rounds_within(float c, float top) { return std::fabs(c) <= top + 0.49f; }
I to_int(F v) { return {__builtin_convertvector(v.lo, I8), __builtin_convertvector(v.hi, I8)}; }
// Lanes where v is not safely inside (-2^21, 2^21) (NaN included).
I unsafe(F v) { return ~((v > -kSafeMagnitude) & (v < kSafeMagnitude)); }
// Square root per lane (correctly rounded either way, as std::sqrt).
F sqrt(F v) {
#ifdef __AVX__
  return {_mm256_sqrt_ps(v.lo), _mm256_sqrt_ps(v.hi)};
#else
  for (std::size_t l = 0; l < 8; ++l) {
    v.lo[l] = std::sqrt(v.lo[l]);
    v.hi[l] = std::sqrt(v.hi[l]);
  }
  return v;
#endif
}

// columns[c][r] = rows[r * stride + c] for an 8 x 8 block of floats: 8 sub-blocks' elements
// c .. c + 7 become 8 lane vectors.
void transpose_8x8(const float* rows, std::size_t stride, F8* columns) {
#ifdef __AVX__
  __m256 r[8], t[8], u[8];
  for (std::size_t i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(rows + i * stride);
  for (std::size_t i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (std::size_t i = 0; i < 8; i += 4) {
    u[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (std::size_t c = 0; c < 4; ++c) {
    columns[c] = reinterpret_cast<F8>(_mm256_permute2f128_ps(u[c], u[c + 4], 0x20));
    columns[c + 4] = reinterpret_cast<F8>(_mm256_permute2f128_ps(u[c], u[c + 4], 0x31));
  }
#else
  for (std::size_t c = 0; c < 8; ++c)
    for (std::size_t r = 0; r < 8; ++r) columns[c][r] = rows[r * stride + c];
#endif
}

// The outcome of 16 asymmetric fits: per lane the scale and min the encoder takes, and the
// winning trial's codes as clamp(round(code_scale * (x - code_offset)), 0, nmax) (0 in a
// flat lane), computed only when needed (asymmetric_codes).
struct AsymmetricFit {
  F scale, min;               // min as the encoder takes it (the offset subtracted on decode)
  F code_scale, code_offset;  // the winning trial's
  I flat;
};

// x[i] = element i of 16 sub-blocks of 32 (lane = sub-block); likewise weights. The steps of
// fit_asymmetric in ggml_reference.cpp (ggml's make_qkx2_quants), per lane. Returns false
// when a code could fall outside the exact range of the shortcut (`fit` is unusable then).
bool fit_asymmetric_lanes(const F (&x)[32], const F (&w)[32], int nmax, AsymmetricSearch search, AsymmetricFit& fit) {
  const float fnmax = static_cast<float>(nmax);
  F lowest = x[0], max = x[0], sum_w = w[0], sum_x = w[0] * x[0];
  for (int i = 1; i < 32; ++i) {
    lowest = select(x[i] < lowest, x[i], lowest);
    max = select(x[i] > max, x[i], max);
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  F min = select(lowest > 0.0f, splat(0.0f), lowest);
  const I flat = max == min;
  auto error_of = [&](F diff) { return search.absolute_error ? abs(diff) : diff * diff; };
  // Every code of a trial is round_clamped(iscale * (x - min)); monotonic in x, so the
  // data's extremes bound all of them.
  I out_of_range = splat_int(0);
  auto check = [&](F iscale) { out_of_range |= unsafe(iscale * (max - min)) | unsafe(iscale * (lowest - min)); };

  F iscale = fnmax / select(flat, splat(1.0f), max - min);  // flat lanes are overwritten at the end
  check(iscale);
  F scale = 1.0f / iscale;
  F best_error = splat(0.0f);
  for (int i = 0; i < 32; ++i)  // iscale * (x - min) <= nmax (1 + u)^2: rounds_within
    best_error += w[i] * error_of(scale * round_clamped_at_zero(iscale * (x[i] - min), fnmax) + min - x[i]);
  F best_iscale = iscale, best_offset = min;
  F8 trial_lo[32], trial_hi[32];  // halves apart: an array of pairs is copied through integer registers
  // Trial `step`'s scale factor, from the min as it is after the trials before it (`min`
  // moves when a trial wins, as in the reference); flat lanes divide by 1, unused.
  auto trial_iscale = [&](int step, F from_min) {
    return (search.rmin + search.rdelta * static_cast<float>(step) + fnmax) / select(flat, splat(1.0f), max - from_min);
  };
  iscale = trial_iscale(0, min);
  for (int step = 0; step <= search.steps; ++step) {
    check(iscale);
    F sum_l = splat(0.0f), sum_l2 = splat(0.0f), sum_xl = splat(0.0f);
    auto trial = [&](auto round_code) {
      for (int i = 0; i < 32; ++i) {
        const F l = round_code(iscale * (x[i] - min));
        trial_lo[i] = l.lo;
        trial_hi[i] = l.hi;
        const F wl = w[i] * l;
        sum_l += wl;
        sum_l2 += wl * l;
        sum_xl += wl * x[i];
      }
    };
    // iscale = c / (max - min) and 0 <= x - min <= max - min, so codes stay <= nmax for the
    // trials whose c is within 0.49 of it (Q4_K's first 15 of 21, Q5_K's first 10 of 16).
    if (rounds_within(search.rmin + search.rdelta * static_cast<float>(step) + fnmax, fnmax))
      trial([&](F v) { return round_clamped_at_zero(v, fnmax); });
    else
      trial([&](F v) { return round_clamped_unsigned(v, fnmax); });
    const F det = sum_w * sum_l2 - sum_l * sum_l;
    const I valid = (det > 0.0f) & ~flat;
    const F safe_det = select(valid, det, splat(1.0f));
    F this_scale = (sum_w * sum_xl - sum_x * sum_l) / safe_det;
    F this_min = (sum_l2 * sum_x - sum_l * sum_xl) / safe_det;
    const I clip = this_min > 0.0f;
    this_scale = select(clip, sum_xl / select(sum_l2 != 0.0f, sum_l2, splat(1.0f)), this_scale);
    this_min = select(clip, splat(0.0f), this_min);
    // The next trial's scale factor for either outcome, divided while the error loop runs
    // rather than after it (the division's latency would stall every step).
    const F next_if_kept = trial_iscale(step + 1, min), next_if_won = trial_iscale(step + 1, this_min);
    F error = splat(0.0f);
    for (int i = 0; i < 32; ++i) error += w[i] * error_of(this_scale * F{trial_lo[i], trial_hi[i]} + this_min - x[i]);
    const I win = valid & (error < best_error);
    best_error = select(win, error, best_error);
    best_iscale = select(win, iscale, best_iscale);
    best_offset = select(win, min, best_offset);
    scale = select(win, this_scale, scale);
    min = select(win, this_min, min);
    iscale = select(win, next_if_won, next_if_kept);
  }
  if (any(out_of_range)) return false;
  fit = {select(flat, splat(0.0f), scale), -min, best_iscale, best_offset, flat};
  return true;
}

void asymmetric_codes(const F (&x)[32], const AsymmetricFit& fit, int nmax, I (&codes)[32]) {
  const float top = static_cast<float>(nmax);
  for (int i = 0; i < 32; ++i)
    codes[i] = select(fit.flat, splat_int(0), to_int(round_clamped_unsigned(fit.code_scale * (x[i] - fit.code_offset), top)));
}

// The outcome of 16 symmetric fits: per lane the scale, and the winning trial's codes as
// clamp(round(code_scale * x), -nmax, nmax - 1) + nmax (0 in an all-zero lane).
struct SymmetricFit {
  F scale, code_scale;
  I zero;
};

// ggml's make_qx_quants with w = x² (rmse_type 1) for 16 sub-blocks of 16 at once. The
// steps of fit_symmetric in ggml_reference.cpp, per lane. Every iscale * x is within
// nmax + 1 of zero (x is at most the lane's amax), so the rounding shortcut is always exact
// here.
SymmetricFit fit_symmetric_lanes(const F (&x)[16], int nmax) {
  const float fnmax = static_cast<float>(nmax);
  const float lo = -fnmax, hi = fnmax - 1.0f;
  F max = splat(0.0f), amax = splat(0.0f);
  F w[16], wx[16];  // the reference's w = x * x, and w * x as it multiplies first
  for (int i = 0; i < 16; ++i) {
    const F ax = abs(x[i]);
    const I larger = ax > amax;
    amax = select(larger, ax, amax);
    max = select(larger, x[i], max);
    w[i] = x[i] * x[i];
    wx[i] = w[i] * x[i];
  }
  const I zero = amax < 1e-15f;
  const F safe_max = select(zero, splat(1.0f), max);
  F iscale = -fnmax / safe_max;
  F sumlx = splat(0.0f), suml2 = splat(0.0f);
  for (int i = 0; i < 16; ++i) {  // |iscale * x| <= nmax (1 + u)^2: rounds_within
    const F l = round_clamped_at_top(iscale * x[i], lo, hi);
    sumlx += wx[i] * l;
    suml2 += w[i] * l * l;
  }
  F scale = select(suml2 != 0.0f, sumlx / select(suml2 != 0.0f, suml2, splat(1.0f)), splat(0.0f));
  F best = scale * sumlx;
  F best_iscale = iscale;
  // The trials' sums do not depend on each other, only the comparisons do: two trials share
  // one pass over the data (twice the independent work per loop), then are compared in the
  // reference's order. A trial's scale and best are divided and multiplied before the
  // comparison, off the chain of comparisons (a winner has suml2 > 0, so the values agree).
  auto compare = [&](F trial_iscale, F trial_sumlx, F trial_suml2) {
    const I positive = trial_suml2 > 0.0f;
    const F trial_scale = trial_sumlx / select(positive, trial_suml2, splat(1.0f));
    const F trial_best = trial_scale * trial_sumlx;
    const I win = positive & (trial_sumlx * trial_sumlx > best * trial_suml2) & ~zero;
    best_iscale = select(win, trial_iscale, best_iscale);
    scale = select(win, trial_scale, scale);
    best = select(win, trial_best, best);
  };
  constexpr int kTrials[] = {-9, -8, -7, -6, -5, -4, -3, -2, -1, 1, 2, 3, 4, 5, 6, 7, 8, 9};  // is = 0 was the first
  for (std::size_t t = 0; t < std::size(kTrials); t += 2) {
    const F iscale_a = -(fnmax + 0.1f * static_cast<float>(kTrials[t])) / safe_max;
    const F iscale_b = -(fnmax + 0.1f * static_cast<float>(kTrials[t + 1])) / safe_max;
    F sumlx_a = splat(0.0f), suml2_a = splat(0.0f), sumlx_b = splat(0.0f), suml2_b = splat(0.0f);
    auto trials = [&](auto round_code) {
      for (int i = 0; i < 16; ++i) {
        const F la = round_code(iscale_a * x[i]), lb = round_code(iscale_b * x[i]);
        sumlx_a += wx[i] * la;
        suml2_a += w[i] * la * la;
        sumlx_b += wx[i] * lb;
        suml2_b += w[i] * lb * lb;
      }
    };
    // |iscale * x| <= (nmax + 0.1 t)(1 + u)^2, as |x| <= |max|: the lower clamp (-nmax)
    // changes nothing while that is within 0.49 of nmax (t <= 4 for both of the pair), the
    // upper one (nmax - 1) while it is within 0.49 of nmax - 1 (t <= -6).
    const float widest = fnmax + 0.1f * static_cast<float>(std::max(kTrials[t], kTrials[t + 1]));
    if (rounds_within(widest, hi))
      trials([&](F v) { return round_unclamped(v, lo, hi); });
    else if (rounds_within(widest, fnmax))
      trials([&](F v) { return round_clamped_at_top(v, lo, hi); });
    else
      trials([&](F v) { return round_clamped(v, lo, hi); });
    compare(iscale_a, sumlx_a, suml2_a);
    compare(iscale_b, sumlx_b, suml2_b);
  }
  return {select(zero, splat(0.0f), scale), best_iscale, zero};
}

void symmetric_codes(const F (&x)[16], const SymmetricFit& fit, int nmax, I (&codes)[16]) {
  const float fnmax = static_cast<float>(nmax);
  for (int i = 0; i < 16; ++i)
    codes[i] =
        select(fit.zero, splat_int(0), to_int(round_clamped(fit.code_scale * x[i], -fnmax, fnmax - 1.0f)) + nmax);
}

template <typename Code>
void store_lanes(const I& v, std::size_t stride, std::size_t i, Code* out) {
  std::array<int, kLanes> lanes;
  std::memcpy(lanes.data(), &v, sizeof(v));
  for (std::size_t l = 0; l < kLanes; ++l) out[stride * l + i] = static_cast<Code>(lanes[l]);
}

// lanes[i] = element i of the 8 sub-blocks of `count` values at `sub_blocks`, as the lo (hi)
// halves of the lane vectors.
template <std::size_t count>
void to_lanes(const float* sub_blocks, F8 (&half)[count]) {
  for (std::size_t c = 0; c < count; c += 8) transpose_8x8(sub_blocks + c, count, half + c);
}

}  // namespace

void quantize_row_q6_k_fast(const float* x, std::size_t n, std::byte* out) {
  for (std::size_t b = 0; b < n / 256; ++b) {
    const float* xb = x + 256 * b;
    F8 lo[16], hi[16];
    to_lanes(xb, lo);
    to_lanes(xb + 128, hi);
    F xt[16];
    for (std::size_t i = 0; i < 16; ++i) xt[i] = {lo[i], hi[i]};
    const SymmetricFit fit = fit_symmetric_lanes(xt, 32);
    std::array<float, 16> scales;
    std::memcpy(scales.data(), &fit.scale, sizeof(fit.scale));
    std::byte* block = out + 210 * b;
    const auto stored = encode_q6_k_scales(scales.data(), block);
    if (!stored) continue;  // stored as zeros
    std::array<std::int8_t, 256> codes;  // only the kept fit codes are read (see the file comment)
    if (std::ranges::find(stored->scale, 0.0f) != stored->scale.end()) {
      I ct[16];
      symmetric_codes(xt, fit, 32, ct);
      for (std::size_t i = 0; i < 16; ++i) store_lanes(ct[i], 16, i, codes.data());
    }
    encode_q6_k_codes(xb, *stored, codes.data(), block);
  }
}

void quantize_row_q45_k_fast(const float* x, std::size_t n, std::byte* out, int bits) {
  const int nmax = (1 << bits) - 1;
  const AsymmetricSearch search = q45_k_search(bits);
  const std::size_t block_bytes = bits == 4 ? 144 : 176;
  const GgmlType type = bits == 4 ? GgmlType::Q4_K : GgmlType::Q5_K;
  const std::size_t blocks = n / 256;
  // Super-blocks b and b + 1 side by side; an odd last one is fitted twice (lanes 8-15 unused).
  for (std::size_t b = 0; b < blocks; b += 2) {
    const float* pair[2] = {x + 256 * b, x + 256 * std::min(b + 1, blocks - 1)};
    F8 lo[32], hi[32];
    to_lanes(pair[0], lo);
    to_lanes(pair[1], hi);
    F xt[32], wt[32];
    F sum_x2 = splat(0.0f);
    for (std::size_t i = 0; i < 32; ++i) {
      xt[i] = {lo[i], hi[i]};
      sum_x2 += xt[i] * xt[i];
    }
    const F av = sqrt(sum_x2 / 32.0f);
    for (int i = 0; i < 32; ++i) wt[i] = av + abs(xt[i]);
    AsymmetricFit fit;
    const bool exact = fit_asymmetric_lanes(xt, wt, nmax, search, fit);
    Lanes scales, mins;
    std::memcpy(scales.data(), &fit.scale, sizeof(fit.scale));
    std::memcpy(mins.data(), &fit.min, sizeof(fit.min));
    std::array<std::uint8_t, 512> codes;  // only the kept fit codes are read (see the file comment)
    bool have_codes = false;
    for (std::size_t half = 0; half < 2 && b + half < blocks; ++half) {
      std::byte* block = out + block_bytes * (b + half);
      if (!exact) {  // rare: the scalar reference, block by block
        quantize_row_reference(type, std::span(pair[half], 256), std::span(block, block_bytes));
        continue;
      }
      const Q45KStoredScales stored = encode_q45_k_scales(scales.data() + 8 * half, mins.data() + 8 * half, block);
      if (!have_codes && std::ranges::find(stored.scale, 0.0f) != stored.scale.end()) {
        I ct[32];
        asymmetric_codes(xt, fit, nmax, ct);
        for (std::size_t i = 0; i < 32; ++i) store_lanes(ct[i], 32, i, codes.data());
        have_codes = true;
      }
      encode_q45_k_codes(pair[half], stored, codes.data() + 256 * half, block, bits);
    }
  }
}

}  // namespace swan::quant::detail
