// The executable spec of optimized scales (affine_optimized.h, steps 1–4): scalar loops in
// the header's order, the min/max candidate from quantize_affine_reference itself, the
// reconstruction from dequantize_affine_reference. The fast kernel is tested against this.
#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "swan/core/float_formats.h"
#include "swan/quant/affine_checks.h"
#include "swan/quant/affine_optimized.h"

namespace swan::quant {
namespace {

constexpr std::size_t kSumLanes = 8;

// Term i goes to lane i mod 8; the lanes are then added pairwise: l and l + 4, then l and
// l + 2, then the last two.
class LaneSum {
 public:
  void add(std::size_t i, float term) { lanes_[i % kSumLanes] += term; }
  float total() const {
    float fours[4], twos[2];
    for (std::size_t l = 0; l < 4; ++l) fours[l] = lanes_[l] + lanes_[l + 4];
    for (std::size_t l = 0; l < 2; ++l) twos[l] = fours[l] + fours[l + 2];
    return twos[0] + twos[1];
  }

 private:
  std::array<float, kSumLanes> lanes_{};
};

// The spec's pair sum: term i in lane i mod 2, then the two lanes added.
class PairSum {
 public:
  void add(std::size_t i, float term) { lanes_[i % 2] += term; }
  float total() const { return lanes_[0] + lanes_[1]; }

 private:
  std::array<float, 2> lanes_{};
};

float round_to(DType dtype, float value) {
  switch (dtype) {
    case DType::F16:
      return fp16_to_float(float_to_fp16(value));
    case DType::BF16:
      return bf16_to_float(float_to_bf16(value));
    default:
      return value;
  }
}

float clamp_code(float q, float n_bins) { return std::min(std::max(q, 0.0f), n_bins); }

struct LeastSquares {
  double scale = 0.0;
  double bias = 0.0;
  double score = 0.0;  // scale * sum(x*l) + bias * sum(x)
  bool valid = false;  // a positive scale exists
};

// The group's weighted sums that do not depend on the codes: s_w = sum(w), s_wx = sum(wx)
// with wx_i = w_i * x_i (lane sums).
struct GroupSums {
  std::vector<float> wx;
  float s_w = 0.0f, s_wx = 0.0f;
};

GroupSums group_sums(std::span<const float> x, std::span<const float> w) {
  GroupSums g;
  g.wx.resize(x.size());
  LaneSum sw, swx;
  for (std::size_t i = 0; i < x.size(); ++i) {
    g.wx[i] = w[i] * x[i];
    sw.add(i, w[i]);
    swx.add(i, g.wx[i]);
  }
  g.s_w = sw.total();
  g.s_wx = swx.total();
  return g;
}

// Weighted least squares x ~ scale * l + bias from the sums (solved in float64).
LeastSquares solve(const GroupSums& g, double s_l, double s_ll, double s_xl) {
  const double n = g.s_w, s_x = g.s_wx;
  const double det = n * s_ll - s_l * s_l;
  if (!(det > 0.0)) return {};
  const double inverse = 1.0 / det;
  LeastSquares out;
  out.scale = (n * s_xl - s_x * s_l) * inverse;
  out.bias = (s_ll * s_x - s_l * s_xl) * inverse;
  out.score = out.scale * s_xl + out.bias * s_x;
  out.valid = out.scale > 0.0;
  return out;
}

// The least-squares fit of one group's codes. Step 1 (the search) sums s_wl and s_wll as pair
// sums, step 3 (the refit) as lane sums; s_wxl is a lane sum in both (affine_optimized.h).
template <typename CodeSum>
LeastSquares fit(const GroupSums& g, std::span<const float> w, std::span<const float> l) {
  CodeSum sl, sll;
  LaneSum sxl;
  for (std::size_t i = 0; i < l.size(); ++i) {
    const float wl = w[i] * l[i];
    sl.add(i, wl);
    sll.add(i, wl * l[i]);
    sxl.add(i, g.wx[i] * l[i]);
  }
  return solve(g, sl.total(), sll.total(), sxl.total());
}

struct Stored {
  float scale = 0.0f;
  float bias = 0.0f;
  bool valid = false;  // both finite, scale positive
};

Stored stored_values(const LeastSquares& f, DType dtype) {
  Stored s{round_to(dtype, static_cast<float>(f.scale)), round_to(dtype, static_cast<float>(f.bias)), false};
  s.valid = std::isfinite(s.scale) && std::isfinite(s.bias) && s.scale > 0.0f;
  return s;
}

void codes_for(std::span<const float> x, Stored stored, float n_bins, std::span<float> codes) {
  for (std::size_t i = 0; i < x.size(); ++i)
    codes[i] = clamp_code(std::rint((x[i] - stored.bias) / stored.scale), n_bins);
}

float squared_error(std::span<const float> x, std::span<const float> w, std::span<const float> reconstructed) {
  LaneSum error;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const float d = reconstructed[i] - x[i];
    error.add(i, w[i] * (d * d));
  }
  return error.total();
}

void pack_codes(std::span<const float> codes, int bits, std::span<std::uint32_t> words) {
  std::fill(words.begin(), words.end(), 0u);
  for (std::size_t i = 0; i < codes.size(); ++i) {
    const auto code = static_cast<std::uint32_t>(codes[i]);
    for (int b = 0; b < bits; ++b) {
      const std::size_t t = i * static_cast<std::size_t>(bits) + static_cast<std::size_t>(b);
      words[t / 32] |= ((code >> b) & 1u) << (t % 32);
    }
  }
}

}  // namespace

void quantize_affine_optimized_reference(std::span<const float> weights, std::size_t rows, std::size_t cols,
                                         AffineFormat format, DType scale_dtype, std::span<std::uint32_t> packed,
                                         std::span<float> scales, std::span<float> biases) {
  quantize_affine_optimized_reference(weights, rows, cols, format, scale_dtype, {}, packed, scales, biases);
}

void quantize_affine_optimized_reference(std::span<const float> weights, std::size_t rows, std::size_t cols,
                                         AffineFormat format, DType scale_dtype,
                                         std::span<const float> column_weights, std::span<std::uint32_t> packed,
                                         std::span<float> scales, std::span<float> biases) {
  const char* op = "quantize_affine_optimized_reference";
  detail::check_format(op, format, cols);
  detail::check_column_weights(op, column_weights, cols);
  // Uniform weights are ones: every weighted term then equals the unweighted one exactly.
  const std::vector<float> ones(column_weights.empty() ? cols : 0, 1.0f);
  const std::span<const float> column_w = column_weights.empty() ? std::span<const float>(ones) : column_weights;
  detail::check_scale_dtype(op, scale_dtype);
  const std::size_t words = packed_words_per_row(cols, format.bits);
  const std::size_t groups = groups_per_row(cols, format.group_size);
  detail::check_size(op, "weights", weights.size(), rows * cols);
  detail::check_size(op, "packed", packed.size(), rows * words);
  detail::check_size(op, "scales", scales.size(), rows * groups);
  detail::check_size(op, "biases", biases.size(), rows * groups);

  const std::size_t n = static_cast<std::size_t>(format.group_size);
  const std::size_t group_words = n * static_cast<std::size_t>(format.bits) / 32;  // groups are whole words
  const AffineFormat one_group{format.bits, format.group_size};
  const float n_bins = static_cast<float>((1 << format.bits) - 1);
  std::vector<float> l(n), codes(n), reconstructed(n);
  std::vector<std::uint32_t> minmax_words(group_words), optimized_words(group_words);

  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t g = 0; g < groups; ++g) {
      const std::span<const float> x = weights.subspan(r * cols + g * n, n);
      const std::span<const float> w = column_w.subspan(g * n, n);
      const std::size_t at = r * groups + g;
      std::uint32_t* destination = packed.data() + r * words + g * group_words;

      // MLX's own result for this group: the fallback and the bar to beat (step 4).
      float minmax_scale = 0.0f, minmax_bias = 0.0f;
      quantize_affine_reference(x, 1, n, one_group, scale_dtype, minmax_words, {&minmax_scale, 1},
                                {&minmax_bias, 1});
      std::copy(minmax_words.begin(), minmax_words.end(), destination);
      scales[at] = minmax_scale;
      biases[at] = minmax_bias;

      const float mn = *std::min_element(x.begin(), x.end());
      const float mx = *std::max_element(x.begin(), x.end());
      if (!(mx > mn)) continue;

      // 1. Clipping search.
      const GroupSums sums = group_sums(x, w);
      LeastSquares best;
      for (int k = 0; k < kSearchSteps; ++k) {
        const float iscale = (n_bins + (kSearchFirst + kSearchStep * static_cast<float>(k))) / (mx - mn);
        for (std::size_t i = 0; i < n; ++i) l[i] = clamp_code(std::rint((x[i] - mn) * iscale), n_bins);
        const LeastSquares f = fit<PairSum>(sums, w, l);
        if (f.valid && (!best.valid || f.score > best.score)) best = f;
      }
      if (!best.valid) continue;

      // 2. Stored values and their codes; 3. refits.
      Stored stored = stored_values(best, scale_dtype);
      if (!stored.valid) continue;
      codes_for(x, stored, n_bins, codes);
      for (int refit = 0; refit < kRefits; ++refit) {
        const LeastSquares f = fit<LaneSum>(sums, w, codes);
        if (!f.valid) break;
        const Stored next = stored_values(f, scale_dtype);
        if (!next.valid) break;
        stored = next;
        codes_for(x, stored, n_bins, codes);
      }

      // 4. Keep whichever reconstructs the group with the lower squared error.
      dequantize_affine_reference(minmax_words, {&minmax_scale, 1}, {&minmax_bias, 1}, 1, n, one_group,
                                  reconstructed);
      const float minmax_error = squared_error(x, w, reconstructed);
      pack_codes(codes, format.bits, optimized_words);
      dequantize_affine_reference(optimized_words, {&stored.scale, 1}, {&stored.bias, 1}, 1, n, one_group,
                                  reconstructed);
      if (squared_error(x, w, reconstructed) < minmax_error) {
        std::copy(optimized_words.begin(), optimized_words.end(), destination);
        scales[at] = stored.scale;
        biases[at] = stored.bias;
      }
    }
  }
}

}  // namespace swan::quant
