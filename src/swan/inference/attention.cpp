// Blocked causal GQA attention on sgemm.
#include "swan/inference/attention.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "swan/core/error.h"
#include "swan/inference/vector_math.h"

namespace swan::inference {
namespace {

// Query rows per work item: enough rows for sgemm to be efficient, few enough that the
// [block, keys] score tile stays cache-sized and that the causal triangle is split into
// many items of different length for dynamic scheduling.
constexpr std::size_t kQueryBlock = 64;

// Softmax of row[0..count) in place; values beyond `count` (masked keys) are not read.
void softmax_prefix(float* row, std::size_t count) {
  float max_value = -std::numeric_limits<float>::infinity();
#pragma omp simd reduction(max : max_value)
  for (std::size_t j = 0; j < count; ++j) max_value = std::max(max_value, row[j]);
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (std::size_t j = 0; j < count; ++j) {
    const float e = fast_exp(row[j] - max_value);
    row[j] = e;
    sum += e;
  }
  const float inverse = 1.0f / sum;
#pragma omp simd
  for (std::size_t j = 0; j < count; ++j) row[j] *= inverse;
}

}  // namespace

void check_attention_shape(const AttentionShape& shape, std::size_t q_values, std::size_t kv_values,
                           std::size_t out_values) {
  SWAN_CHECK(shape.kv_heads > 0 && shape.heads % shape.kv_heads == 0, "heads {} kv_heads {}", shape.heads,
             shape.kv_heads);
  SWAN_CHECK(q_values == shape.tokens * shape.heads * shape.head_dim && out_values == q_values,
             "attention: {} query values, {} outputs for {} tokens", q_values, out_values, shape.tokens);
  SWAN_CHECK(kv_values == shape.tokens * shape.kv_heads * shape.head_dim, "attention: {} key values for {} tokens",
             kv_values, shape.tokens);
}

void causal_attention_in_team(const AttentionShape& shape, std::span<const float> q, std::span<const float> k,
                              std::span<const float> v, std::span<float> out) {
  const std::size_t n = shape.tokens;
  const std::size_t d = shape.head_dim;
  const std::size_t q_stride = shape.heads * d;
  const std::size_t kv_stride = shape.kv_heads * d;
  const std::size_t group = shape.heads / shape.kv_heads;
  const std::size_t blocks = (n + kQueryBlock - 1) / kQueryBlock;
  const std::size_t items = shape.heads * blocks;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  thread_local std::vector<float> scores;

#pragma omp for schedule(dynamic, 1)
  for (std::size_t item = 0; item < items; ++item) {
    // Last query blocks first: they see the most keys, so the long items start early.
    const std::size_t block = blocks - 1 - item / shape.heads;
    const std::size_t head = item % shape.heads;
    const std::size_t kv_head = head / group;
    const std::size_t first = block * kQueryBlock;
    const std::size_t rows = std::min(kQueryBlock, n - first);
    const std::size_t keys = first + rows;  // causal: this block sees keys [0, keys)
    scores.resize(rows * keys);

    const float* q_block = q.data() + first * q_stride + head * d;
    const float* k_head = k.data() + kv_head * d;
    const float* v_head = v.data() + kv_head * d;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows), static_cast<int>(keys),
                static_cast<int>(d), scale, q_block, static_cast<int>(q_stride), k_head, static_cast<int>(kv_stride),
                0.0f, scores.data(), static_cast<int>(keys));
    for (std::size_t r = 0; r < rows; ++r) {
      float* row = scores.data() + r * keys;
      const std::size_t visible = first + r + 1;
      softmax_prefix(row, visible);
      std::fill(row + visible, row + keys, 0.0f);
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(rows), static_cast<int>(d),
                static_cast<int>(keys), 1.0f, scores.data(), static_cast<int>(keys), v_head,
                static_cast<int>(kv_stride), 0.0f, out.data() + first * q_stride + head * d,
                static_cast<int>(q_stride));
  }
}

void causal_attention(const AttentionShape& shape, std::span<const float> q, std::span<const float> k,
                      std::span<const float> v, std::span<float> out) {
  check_attention_shape(shape, q.size(), k.size(), out.size());
  SWAN_CHECK(v.size() == k.size(), "attention: {} values for {} keys", v.size(), k.size());
  // Multiply-adds of QK^T and PV over the causal triangle; small problems stay on one thread.
  const bool parallel = shape.heads * shape.tokens * shape.tokens * shape.head_dim >= (std::size_t{1} << 22);
#pragma omp parallel if (parallel)
  causal_attention_in_team(shape, q, k, v, out);
}

}  // namespace swan::inference
