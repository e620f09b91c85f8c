// Lane-parallel Q4_K / Q5_K: the 8 sub-block fits of a super-block run side by side, one
// lane each, so every loop body is 8 independent copies of the reference's scalar step and
// the compiler vectorises across lanes (AVX2: one instruction per step for all 8). Each
// lane performs exactly the reference's float operations in the reference's order, and
// branches become per-lane selects, so the bytes are identical to ggml_reference.cpp's
// (tests compare them). The fit is ~95 % of Q4_K's time; the rest is shared code.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "swan/quant/ggml_blocks.h"

namespace swan::quant::detail {
namespace {

constexpr int kLanes = 8;   // sub-blocks per super-block
constexpr int kLength = 32;  // elements per sub-block

using Lanes = std::array<float, kLanes>;
using LaneInts = std::array<int, kLanes>;

// x[i][lane] = element i of sub-block `lane`; likewise weights. Outputs per lane.
void fit_asymmetric_lanes(const float (&x)[kLength][kLanes], const float (&w)[kLength][kLanes], int nmax,
                          AsymmetricSearch search, std::uint8_t (&codes)[kLength][kLanes], Lanes& scale_out,
                          Lanes& min_out) {
  const float fnmax = static_cast<float>(nmax);
  Lanes min, max, sum_w, sum_x;
  for (int l = 0; l < kLanes; ++l) {
    min[l] = x[0][l];
    max[l] = x[0][l];
    sum_w[l] = w[0][l];
    sum_x[l] = sum_w[l] * x[0][l];
  }
  for (int i = 1; i < kLength; ++i)
    for (int l = 0; l < kLanes; ++l) {
      min[l] = x[i][l] < min[l] ? x[i][l] : min[l];
      max[l] = x[i][l] > max[l] ? x[i][l] : max[l];
      sum_w[l] += w[i][l];
      sum_x[l] += w[i][l] * x[i][l];
    }
  std::array<bool, kLanes> flat;
  Lanes iscale, scale, best_error, range;
  for (int l = 0; l < kLanes; ++l) {
    min[l] = min[l] > 0.0f ? 0.0f : min[l];
    flat[l] = max[l] == min[l];
    range[l] = flat[l] ? 1.0f : max[l] - min[l];  // flat lanes are overwritten at the end
    iscale[l] = fnmax / range[l];
    scale[l] = 1.0f / iscale[l];
    best_error[l] = 0.0f;
  }
  for (int i = 0; i < kLength; ++i)
    for (int l = 0; l < kLanes; ++l) {
      const int q = std::min(std::max(nearest_int(iscale[l] * (x[i][l] - min[l])), 0), nmax);
      codes[i][l] = static_cast<std::uint8_t>(q);
      float diff = scale[l] * static_cast<float>(q) + min[l] - x[i][l];
      diff = search.absolute_error ? std::fabs(diff) : diff * diff;
      best_error[l] += w[i][l] * diff;
    }
  std::uint8_t trial[kLength][kLanes];
  for (int step = 0; step <= search.steps; ++step) {
    Lanes sum_l{}, sum_l2{}, sum_xl{};
    for (int l = 0; l < kLanes; ++l)
      iscale[l] = (search.rmin + search.rdelta * static_cast<float>(step) + fnmax) / (max[l] - min[l] + (flat[l] ? 1.0f : 0.0f));
    for (int i = 0; i < kLength; ++i)
      for (int l = 0; l < kLanes; ++l) {
        const int q = std::min(std::max(nearest_int(iscale[l] * (x[i][l] - min[l])), 0), nmax);
        trial[i][l] = static_cast<std::uint8_t>(q);
        const float fq = static_cast<float>(q);
        sum_l[l] += w[i][l] * fq;
        sum_l2[l] += w[i][l] * fq * fq;
        sum_xl[l] += w[i][l] * fq * x[i][l];
      }
    Lanes this_scale, this_min, error{};
    std::array<bool, kLanes> valid;
    for (int l = 0; l < kLanes; ++l) {
      const float det = sum_w[l] * sum_l2[l] - sum_l[l] * sum_l[l];
      valid[l] = det > 0.0f && !flat[l];
      const float safe_det = valid[l] ? det : 1.0f;
      this_scale[l] = (sum_w[l] * sum_xl[l] - sum_x[l] * sum_l[l]) / safe_det;
      this_min[l] = (sum_l2[l] * sum_x[l] - sum_l[l] * sum_xl[l]) / safe_det;
      if (this_min[l] > 0.0f) {
        this_min[l] = 0.0f;
        this_scale[l] = sum_xl[l] / (sum_l2[l] != 0.0f ? sum_l2[l] : 1.0f);
      }
    }
    for (int i = 0; i < kLength; ++i)
      for (int l = 0; l < kLanes; ++l) {
        float diff = this_scale[l] * static_cast<float>(trial[i][l]) + this_min[l] - x[i][l];
        diff = search.absolute_error ? std::fabs(diff) : diff * diff;
        error[l] += w[i][l] * diff;
      }
    std::array<bool, kLanes> win;
    bool any = false;
    for (int l = 0; l < kLanes; ++l) {
      win[l] = valid[l] && error[l] < best_error[l];
      any = any || win[l];
      best_error[l] = win[l] ? error[l] : best_error[l];
      scale[l] = win[l] ? this_scale[l] : scale[l];
      min[l] = win[l] ? this_min[l] : min[l];
    }
    if (any)
      for (int i = 0; i < kLength; ++i)
        for (int l = 0; l < kLanes; ++l) codes[i][l] = win[l] ? trial[i][l] : codes[i][l];
  }
  for (int l = 0; l < kLanes; ++l) {
    if (flat[l]) {
      for (int i = 0; i < kLength; ++i) codes[i][l] = 0;
      scale[l] = 0.0f;
    }
    scale_out[l] = scale[l];
    min_out[l] = -min[l];
  }
}

}  // namespace

void quantize_row_q45_k_fast(const float* x, std::size_t n, std::byte* out, int bits) {
  const int nmax = (1 << bits) - 1;
  const AsymmetricSearch search = q45_k_search(bits);
  const std::size_t block_bytes = bits == 4 ? 144 : 176;
  for (std::size_t b = 0; b < n / 256; ++b) {
    const float* xb = x + 256 * b;
    float xt[kLength][kLanes], wt[kLength][kLanes];
    Lanes sum_x2{};
    for (int i = 0; i < kLength; ++i)
      for (int l = 0; l < kLanes; ++l) {
        xt[i][l] = xb[kLength * l + i];
        sum_x2[l] += xt[i][l] * xt[i][l];
      }
    Lanes av_x;
    for (int l = 0; l < kLanes; ++l) av_x[l] = std::sqrt(sum_x2[l] / 32.0f);
    for (int i = 0; i < kLength; ++i)
      for (int l = 0; l < kLanes; ++l) wt[i][l] = av_x[l] + std::fabs(xt[i][l]);
    std::uint8_t ct[kLength][kLanes];
    Lanes scales, mins;
    fit_asymmetric_lanes(xt, wt, nmax, search, ct, scales, mins);
    std::array<std::uint8_t, 256> codes;
    for (int i = 0; i < kLength; ++i)
      for (int l = 0; l < kLanes; ++l) codes[static_cast<std::size_t>(kLength * l + i)] = ct[i][l];
    encode_q45_k(xb, scales.data(), mins.data(), codes.data(), out + block_bytes * b, bits);
  }
}

}  // namespace swan::quant::detail
