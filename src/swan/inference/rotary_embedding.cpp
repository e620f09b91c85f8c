// RoPE frequencies (default / linear / llama3) and the rotate_half rotation.
#include "swan/inference/rotary_embedding.h"

#include <cmath>
#include <numbers>

#include "swan/core/error.h"
#include "swan/inference/parallel_threshold.h"

namespace swan::inference {

std::vector<float> rope_inverse_frequencies(std::size_t head_dim, double theta, const model::RopeScaling& scaling) {
  SWAN_CHECK(head_dim > 0 && head_dim % 2 == 0, "head_dim {}", head_dim);
  const std::size_t half = head_dim / 2;
  std::vector<float> inverse(half);
  for (std::size_t i = 0; i < half; ++i) {
    // transformers: 1.0 / (base ** (arange(0, dim, 2).float() / dim)) in float32.
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(head_dim);
    const float power = static_cast<float>(std::pow(theta, static_cast<double>(exponent)));
    inverse[i] = 1.0f / power;
  }
  using Type = model::RopeScaling::Type;
  if (scaling.type == Type::Linear) {
    for (float& f : inverse) f = static_cast<float>(f / scaling.factor);
  } else if (scaling.type == Type::Llama3) {
    // transformers' _compute_llama3_parameters: long wavelengths are slowed by `factor`, short
    // ones kept, the band in between interpolated.
    const double old_context = scaling.original_max_position_embeddings;
    const double low_freq_wavelen = old_context / scaling.low_freq_factor;
    const double high_freq_wavelen = old_context / scaling.high_freq_factor;
    for (float& f : inverse) {
      const double frequency = f;
      const double wavelen = 2.0 * std::numbers::pi / frequency;
      double scaled = frequency;
      if (wavelen > low_freq_wavelen) {
        scaled = frequency / scaling.factor;
      } else if (wavelen >= high_freq_wavelen) {
        const double smooth = (old_context / wavelen - scaling.low_freq_factor) /
                              (scaling.high_freq_factor - scaling.low_freq_factor);
        scaled = (1.0 - smooth) * frequency / scaling.factor + smooth * frequency;
      }
      f = static_cast<float>(scaled);
    }
  }
  return inverse;
}

RopeTable make_rope_table(std::span<const float> inverse_frequencies, std::size_t tokens, std::size_t first_position) {
  RopeTable table;
  table.tokens = tokens;
  table.half = inverse_frequencies.size();
  table.cos.resize(tokens * table.half);
  table.sin.resize(tokens * table.half);
  for (std::size_t t = 0; t < tokens; ++t) {
    for (std::size_t i = 0; i < table.half; ++i) {
      // The angle is rounded to float32 first, as transformers computes it (position * inv_freq).
      const float angle = static_cast<float>(first_position + t) * inverse_frequencies[i];
      table.cos[t * table.half + i] = static_cast<float>(std::cos(static_cast<double>(angle)));
      table.sin[t * table.half + i] = static_cast<float>(std::sin(static_cast<double>(angle)));
    }
  }
  return table;
}

void apply_rope_token(const RopeTable& table, std::size_t token, float* x, std::size_t heads) {
  const std::size_t half = table.half;
  const std::size_t head_dim = 2 * half;
  const float* cos = table.cos.data() + token * half;
  const float* sin = table.sin.data() + token * half;
  for (std::size_t h = 0; h < heads; ++h) {
    float* first = x + h * head_dim;
    float* second = first + half;
#pragma omp simd
    for (std::size_t i = 0; i < half; ++i) {
      const float a = first[i];
      const float b = second[i];
      first[i] = a * cos[i] - b * sin[i];  // x * cos + rotate_half(x) * sin, rotate_half = [-b, a]
      second[i] = b * cos[i] + a * sin[i];
    }
  }
}

void apply_rope(const RopeTable& table, std::span<float> x, std::size_t tokens, std::size_t heads) {
  const std::size_t head_dim = 2 * table.half;
  SWAN_CHECK(tokens <= table.tokens && x.size() == tokens * heads * head_dim, "apply_rope: {} values for {}x{}x{}",
             x.size(), tokens, heads, head_dim);
#pragma omp parallel for schedule(static) if (x.size() >= kParallelElementwiseMinValues)
  for (std::size_t t = 0; t < tokens; ++t) apply_rope_token(table, t, x.data() + t * heads * head_dim, heads);
}

}  // namespace swan::inference
