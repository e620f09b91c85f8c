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

// Least squares x ~ scale * l + bias.
LeastSquares fit(std::span<const float> x, std::span<const float> l) {
  LaneSum sl, sll, sx, sxl;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sl.add(i, l[i]);
    sll.add(i, l[i] * l[i]);
    sx.add(i, x[i]);
    sxl.add(i, x[i] * l[i]);
  }
  const double n = static_cast<double>(x.size());
  const double s_l = sl.total(), s_ll = sll.total(), s_x = sx.total(), s_xl = sxl.total();
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

float squared_error(std::span<const float> x, std::span<const float> reconstructed) {
  LaneSum error;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const float d = reconstructed[i] - x[i];
    error.add(i, d * d);
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
  const char* op = "quantize_affine_optimized_reference";
  detail::check_format(op, format, cols);
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
      LeastSquares best;
      for (int k = 0; k < kSearchSteps; ++k) {
        const float iscale = (n_bins + (kSearchFirst + kSearchStep * static_cast<float>(k))) / (mx - mn);
        for (std::size_t i = 0; i < n; ++i) l[i] = clamp_code(std::rint((x[i] - mn) * iscale), n_bins);
        const LeastSquares f = fit(x, l);
        if (f.valid && (!best.valid || f.score > best.score)) best = f;
      }
      if (!best.valid) continue;

      // 2. Stored values and their codes; 3. refits.
      Stored stored = stored_values(best, scale_dtype);
      if (!stored.valid) continue;
      codes_for(x, stored, n_bins, codes);
      for (int refit = 0; refit < kRefits; ++refit) {
        const LeastSquares f = fit(x, codes);
        if (!f.valid) break;
        const Stored next = stored_values(f, scale_dtype);
        if (!next.valid) break;
        stored = next;
        codes_for(x, stored, n_bins, codes);
      }

      // 4. Keep whichever reconstructs the group with the lower squared error.
      dequantize_affine_reference(minmax_words, {&minmax_scale, 1}, {&minmax_bias, 1}, 1, n, one_group,
                                  reconstructed);
      const float minmax_error = squared_error(x, reconstructed);
      pack_codes(codes, format.bits, optimized_words);
      dequantize_affine_reference(optimized_words, {&stored.scale, 1}, {&stored.bias, 1}, 1, n, one_group,
                                  reconstructed);
      if (squared_error(x, reconstructed) < minmax_error) {
        std::copy(optimized_words.begin(), optimized_words.end(), destination);
        scales[at] = stored.scale;
        biases[at] = stored.bias;
      }
    }
  }
}

}  // namespace swan::quant
