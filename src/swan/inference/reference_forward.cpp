// Naive decoder forward: the executable spec for Model::forward.
#include "swan/inference/reference_forward.h"

#include <cmath>
#include <limits>

#include "swan/core/error.h"
#include "swan/inference/rotary_embedding.h"

namespace swan::inference {
namespace {

using Matrix = std::vector<float>;  // row-major

// y[t][r] = sum_c x[t][c] * W[r][c] + bias[r]; W read one row at a time.
Matrix matmul(const WeightMatrix& w, const Matrix& x, std::size_t tokens, const std::vector<float>& bias) {
  const std::size_t rows = w.rows(), cols = w.cols();
  Matrix y(tokens * rows);
  std::vector<float> row(cols);
  for (std::size_t r = 0; r < rows; ++r) {
    w.read_rows(r, r + 1, row);
    for (std::size_t t = 0; t < tokens; ++t) {
      double sum = bias.empty() ? 0.0 : bias[r];
      for (std::size_t c = 0; c < cols; ++c) sum += static_cast<double>(x[t * cols + c]) * row[c];
      y[t * rows + r] = static_cast<float>(sum);
    }
  }
  return y;
}

void norm_rows(Matrix& x, const std::vector<float>& weight, double eps) {
  const std::size_t width = weight.size();
  for (std::size_t start = 0; start < x.size(); start += width) {
    double squares = 0.0;
    for (std::size_t i = 0; i < width; ++i) squares += static_cast<double>(x[start + i]) * x[start + i];
    const double scale = 1.0 / std::sqrt(squares / static_cast<double>(width) + eps);
    for (std::size_t i = 0; i < width; ++i) x[start + i] = static_cast<float>(weight[i] * (x[start + i] * scale));
  }
}

// rotate_half RoPE, angles in double from the float32 inverse frequencies.
void rotate(Matrix& x, std::size_t tokens, std::size_t heads, std::size_t head_dim, const std::vector<float>& inv) {
  const std::size_t half = head_dim / 2;
  for (std::size_t t = 0; t < tokens; ++t)
    for (std::size_t h = 0; h < heads; ++h) {
      float* v = x.data() + (t * heads + h) * head_dim;
      for (std::size_t i = 0; i < half; ++i) {
        const double angle = static_cast<double>(t) * inv[i];
        const double a = v[i], b = v[i + half];
        v[i] = static_cast<float>(a * std::cos(angle) - b * std::sin(angle));
        v[i + half] = static_cast<float>(b * std::cos(angle) + a * std::sin(angle));
      }
    }
}

}  // namespace

std::vector<float> reference_forward(const model::ModelConfig& config, const ModelWeights& weights,
                                     std::span<const std::int32_t> tokens) {
  const std::size_t n = tokens.size();
  const auto hidden = static_cast<std::size_t>(config.hidden_size);
  const auto heads = static_cast<std::size_t>(config.num_attention_heads);
  const auto kv_heads = static_cast<std::size_t>(config.num_key_value_heads);
  const auto d = static_cast<std::size_t>(config.head_dim);
  const auto vocab = static_cast<std::size_t>(config.vocab_size);
  const std::vector<float> inv = rope_inverse_frequencies(d, config.rope_theta, config.rope_scaling);

  Matrix x(n * hidden);
  for (std::size_t t = 0; t < n; ++t) {
    SWAN_CHECK(tokens[t] >= 0 && static_cast<std::size_t>(tokens[t]) < vocab, "token {}", tokens[t]);
    const auto id = static_cast<std::size_t>(tokens[t]);
    weights.embed_tokens.read_rows(id, id + 1, std::span(x).subspan(t * hidden, hidden));
  }
  for (const DecoderLayerWeights& layer : weights.layers) {
    Matrix h = x;
    norm_rows(h, layer.input_norm, config.rms_norm_eps);
    Matrix q = matmul(layer.q, h, n, layer.q_bias);
    Matrix k = matmul(layer.k, h, n, layer.k_bias);
    Matrix v = matmul(layer.v, h, n, layer.v_bias);
    if (config.qk_norm) {
      norm_rows(q, layer.q_norm, config.rms_norm_eps);
      norm_rows(k, layer.k_norm, config.rms_norm_eps);
    }
    rotate(q, n, heads, d, inv);
    rotate(k, n, kv_heads, d, inv);
    Matrix attended(n * heads * d, 0.0f);
    for (std::size_t head = 0; head < heads; ++head) {
      const std::size_t kv_head = head / (heads / kv_heads);
      for (std::size_t i = 0; i < n; ++i) {
        std::vector<double> score(i + 1);
        double max_score = -std::numeric_limits<double>::infinity();
        for (std::size_t j = 0; j <= i; ++j) {
          double dot = 0.0;
          for (std::size_t c = 0; c < d; ++c)
            dot += static_cast<double>(q[(i * heads + head) * d + c]) * k[(j * kv_heads + kv_head) * d + c];
          score[j] = dot / std::sqrt(static_cast<double>(d));
          max_score = std::max(max_score, score[j]);
        }
        double total = 0.0;
        for (double& s : score) total += (s = std::exp(s - max_score));
        for (std::size_t c = 0; c < d; ++c) {
          double sum = 0.0;
          for (std::size_t j = 0; j <= i; ++j) sum += score[j] / total * v[(j * kv_heads + kv_head) * d + c];
          attended[(i * heads + head) * d + c] = static_cast<float>(sum);
        }
      }
    }
    const Matrix o = matmul(layer.o, attended, n, layer.o_bias);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] += o[i];

    h = x;
    norm_rows(h, layer.post_attention_norm, config.rms_norm_eps);
    Matrix gate = matmul(layer.gate, h, n, layer.gate_bias);
    const Matrix up = matmul(layer.up, h, n, layer.up_bias);
    for (std::size_t i = 0; i < gate.size(); ++i) {
      const double g = gate[i];
      gate[i] = static_cast<float>(g / (1.0 + std::exp(-g)) * up[i]);
    }
    const Matrix down = matmul(layer.down, gate, n, layer.down_bias);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] += down[i];
  }
  norm_rows(x, weights.final_norm, config.rms_norm_eps);
  return matmul(weights.output_projection(), x, n, {});
}

}  // namespace swan::inference
