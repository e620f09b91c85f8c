// The executable spec of MLX affine quantization (spec §1.2–1.3, §1.6, §2.1): scalar loops
// that follow the spec's wording step by step, bit-stream packing one bit at a time.
// Everything fast in quant/ is tested against these functions; keep them boring.
#include <algorithm>
#include <cmath>
#include <limits>

#include "swan/core/float_formats.h"
#include "swan/quant/affine.h"
#include "swan/quant/affine_checks.h"

namespace swan::quant {
namespace {

float round_to(DType dtype, float value) {
  switch (dtype) {
    case DType::F16:
      return fp16_to_float(float_to_fp16(value));
    case DType::BF16:
      return bf16_to_float(float_to_bf16(value));
    default:
      return value;  // F32 (checked by the caller)
  }
}

// Stream bit t is bit (t mod 32) of word (t div 32): the little-endian byte stream read as
// little-endian uint32 words is the same thing.
void write_stream_bit(std::span<std::uint32_t> row_words, std::size_t t, std::uint32_t bit) {
  row_words[t / 32] |= bit << (t % 32);
}

std::uint32_t read_stream_bit(std::span<const std::uint32_t> row_words, std::size_t t) {
  return (row_words[t / 32] >> (t % 32)) & 1u;
}

}  // namespace

void quantize_affine_reference(std::span<const float> weights, std::size_t rows, std::size_t cols,
                               AffineFormat format, DType scale_dtype, std::span<std::uint32_t> packed,
                               std::span<float> scales, std::span<float> biases) {
  const char* op = "quantize_affine_reference";
  detail::check_format(op, format, cols);
  detail::check_scale_dtype(op, scale_dtype);
  const std::size_t words = packed_words_per_row(cols, format.bits);
  const std::size_t groups = groups_per_row(cols, format.group_size);
  detail::check_size(op, "weights", weights.size(), rows * cols);
  detail::check_size(op, "packed", packed.size(), rows * words);
  detail::check_size(op, "scales", scales.size(), rows * groups);
  detail::check_size(op, "biases", biases.size(), rows * groups);

  const std::size_t bits = static_cast<std::size_t>(format.bits);
  const std::size_t group_size = static_cast<std::size_t>(format.group_size);
  const float n_bins = static_cast<float>((1 << format.bits) - 1);
  const float eps = 1e-7f;

  std::fill(packed.begin(), packed.end(), 0u);
  for (std::size_t r = 0; r < rows; ++r) {
    const std::span<std::uint32_t> row_words = packed.subspan(r * words, words);
    for (std::size_t g = 0; g < groups; ++g) {
      const std::span<const float> group = weights.subspan(r * cols + g * group_size, group_size);

      // 1. True min and max.
      float mx = -std::numeric_limits<float>::infinity();
      float mn = std::numeric_limits<float>::infinity();
      for (float x : group) {
        mx = std::max(mx, x);
        mn = std::min(mn, x);
      }
      // 2. Step, clamped from below.
      float s = std::max((mx - mn) / n_bins, eps);
      // 3. Edge = endpoint of larger magnitude; a tie goes to the max side with a negative scale.
      const bool negative_edge = std::abs(mn) > std::abs(mx);
      const float edge = negative_edge ? mn : mx;
      if (!negative_edge) s = -s;
      // 4.–5. Put real zero on the lattice.
      const float q0 = std::rint(edge / s);
      float scale = s;
      float bias = 0.0f;
      if (q0 != 0.0f) {
        scale = edge / q0;
        bias = edge;
      }
      // 6. Stored parameters are rounded to the scale dtype; codes use the unrounded ones.
      scales[r * groups + g] = round_to(scale_dtype, scale);
      biases[r * groups + g] = round_to(scale_dtype, bias);

      for (std::size_t j = 0; j < group_size; ++j) {
        const float q = std::min(std::max(std::rint((group[j] - bias) / scale), 0.0f), n_bins);
        const auto code = static_cast<std::uint32_t>(q);
        const std::size_t i = g * group_size + j;  // index in the row
        for (std::size_t b = 0; b < bits; ++b) write_stream_bit(row_words, i * bits + b, (code >> b) & 1u);
      }
    }
  }
}

void dequantize_affine_reference(std::span<const std::uint32_t> packed, std::span<const float> scales,
                                 std::span<const float> biases, std::size_t rows, std::size_t cols,
                                 AffineFormat format, std::span<float> out) {
  const char* op = "dequantize_affine_reference";
  detail::check_format(op, format, cols);
  const std::size_t words = packed_words_per_row(cols, format.bits);
  const std::size_t groups = groups_per_row(cols, format.group_size);
  detail::check_size(op, "packed", packed.size(), rows * words);
  detail::check_size(op, "scales", scales.size(), rows * groups);
  detail::check_size(op, "biases", biases.size(), rows * groups);
  detail::check_size(op, "out", out.size(), rows * cols);

  const std::size_t bits = static_cast<std::size_t>(format.bits);
  const std::size_t group_size = static_cast<std::size_t>(format.group_size);
  for (std::size_t r = 0; r < rows; ++r) {
    const std::span<const std::uint32_t> row_words = packed.subspan(r * words, words);
    for (std::size_t i = 0; i < cols; ++i) {
      std::uint32_t code = 0;
      for (std::size_t b = 0; b < bits; ++b) code |= read_stream_bit(row_words, i * bits + b) << b;
      const float scale = scales[r * groups + i / group_size];
      const float bias = biases[r * groups + i / group_size];
      const float product = static_cast<float>(code) * scale;  // rounded here (no FMA: -ffp-contract=off)
      out[r * cols + i] = product + bias;
    }
  }
}

}  // namespace swan::quant
