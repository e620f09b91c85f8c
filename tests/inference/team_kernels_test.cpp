// The forward pass's team kernels (team.h) inside a real two-thread region and on one thread:
// fused products against straight double loops over each matrix's own dequantized rows, for
// float, MLX affine and GGUF weights; and the model's forward pass with logits for some rows
// only, and at one against two threads.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "support/fixtures.h"
#include "swan/core/float_formats.h"
#include "swan/inference/linear.h"
#include "swan/inference/model.h"
#include "swan/quant/affine.h"
#include "swan/quant/ggml_quantize.h"

namespace swan::inference {
namespace {

// One weight matrix in a given storage, with the bytes it points into.
struct StoredMatrix {
  std::vector<std::byte> data, scales, biases;
  WeightMatrix matrix;
  std::vector<float> dequantized;  // its rows as read back: the reference's weights
};

enum class Storage { F32, BF16, Affine3g32, Affine4g64, Affine8g128, Q8_0, Q4_0, Q4_K, Q6_K };

const char* storage_name(Storage s) {
  static constexpr const char* kNames[] = {"F32",  "BF16", "Affine3g32", "Affine4g64", "Affine8g128",
                                           "Q8_0", "Q4_0", "Q4_K",       "Q6_K"};
  return kNames[static_cast<int>(s)];
}
// How gtest prints the parameter (ctest shows it beside the name): the storage, not raw bytes.
void PrintTo(Storage s, std::ostream* out) { *out << storage_name(s); }

std::unique_ptr<StoredMatrix> stored(Storage storage, std::size_t rows, std::size_t cols, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> values(rows * cols);
  for (float& v : values) v = normal(rng);
  auto s = std::make_unique<StoredMatrix>();
  const auto affine = [&](int bits, int group) {
    const quant::AffineFormat format{bits, group};
    std::vector<std::uint32_t> packed(rows * quant::packed_words_per_row(cols, bits));
    std::vector<float> scales(rows * cols / group), biases(scales.size());
    quant::quantize_affine(values, rows, cols, format, DType::BF16, packed, scales, biases);
    s->data.resize(packed.size() * 4);
    std::memcpy(s->data.data(), packed.data(), s->data.size());
    s->scales.resize(scales.size() * 2);
    s->biases.resize(biases.size() * 2);
    convert_from_float(scales, DType::BF16, s->scales);
    convert_from_float(biases, DType::BF16, s->biases);
    s->matrix = WeightMatrix::affine("affine", s->data, DType::BF16, s->scales, s->biases, rows, cols, format);
  };
  const auto ggml = [&](quant::GgmlType type) {
    s->data.resize(rows * quant::bytes_for(type, cols));
    quant::quantize_rows(type, values, rows, cols, s->data, 1);
    s->matrix = WeightMatrix::ggml("ggml", type, s->data, rows, cols);
  };
  switch (storage) {
    case Storage::F32:
      s->data.resize(values.size() * 4);
      std::memcpy(s->data.data(), values.data(), s->data.size());
      s->matrix = WeightMatrix::dense("f32", DType::F32, s->data, rows, cols);
      break;
    case Storage::BF16:
      s->data.resize(values.size() * 2);
      convert_from_float(values, DType::BF16, s->data);
      s->matrix = WeightMatrix::dense("bf16", DType::BF16, s->data, rows, cols);
      break;
    case Storage::Affine3g32: affine(3, 32); break;
    case Storage::Affine4g64: affine(4, 64); break;
    case Storage::Affine8g128: affine(8, 128); break;
    case Storage::Q8_0: ggml(quant::GgmlType::Q8_0); break;
    case Storage::Q4_0: ggml(quant::GgmlType::Q4_0); break;
    case Storage::Q4_K: ggml(quant::GgmlType::Q4_K); break;
    case Storage::Q6_K: ggml(quant::GgmlType::Q6_K); break;
  }
  s->dequantized.resize(rows * cols);
  s->matrix.read_rows(0, rows, s->dequantized);
  return s;
}

// y = x · Wᵀ + bias (+ y0) in double.
std::vector<float> naive(const StoredMatrix& w, const std::vector<float>& x, std::size_t tokens,
                         const std::vector<float>& bias, const std::vector<float>* accumulate_onto) {
  const std::size_t rows = w.matrix.rows(), cols = w.matrix.cols();
  std::vector<float> y(tokens * rows);
  for (std::size_t t = 0; t < tokens; ++t)
    for (std::size_t r = 0; r < rows; ++r) {
      double sum = bias.empty() ? 0.0 : bias[r];
      if (accumulate_onto) sum += (*accumulate_onto)[t * rows + r];
      for (std::size_t c = 0; c < cols; ++c) sum += double(x[t * cols + c]) * w.dequantized[r * cols + c];
      y[t * rows + r] = static_cast<float>(sum);
    }
  return y;
}

double worst_relative(const std::vector<float>& got, const std::vector<float>& expected) {
  double worst = 0.0, scale = 1e-30;
  for (float e : expected) scale = std::max(scale, double(std::abs(e)));
  for (std::size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(double(got[i]) - expected[i]));
  return worst / scale;
}

std::vector<float> random_values(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& value : v) value = normal(rng);
  return v;
}

class FusedLinear : public ::testing::TestWithParam<std::tuple<Storage, int>> {};

// q/k/v-shaped targets (256, 128 and 128 rows, the first two finished per 64-row head) plus
// an accumulating o-like product and a gated gate/up pair, all in one region.
TEST_P(FusedLinear, EveryTargetEqualsItsOwnProduct) {
  const auto [storage, threads] = GetParam();
  constexpr std::size_t cols = 256, tokens = 19, head = 64;
  const auto q = stored(storage, 256, cols, 1), k = stored(storage, 128, cols, 2), v = stored(storage, 128, cols, 3);
  const auto o = stored(storage, cols, 256, 4);
  const auto gate = stored(storage, 384, cols, 5), up = stored(storage, 384, cols, 6);
  const auto x = random_values(tokens * cols, 7);
  const auto q_bias = random_values(256, 8), none = std::vector<float>{};
  std::vector<float> yq(tokens * 256), yk(tokens * 128), yv(tokens * 128);
  const auto residual = random_values(tokens * cols, 9);
  std::vector<float> yo = residual, yg(tokens * 384), yu(tokens * 384);
  std::vector<int> finished_rows(256 + 128, 0);  // how often each q / k row was finished
  bool finished_whole_heads = true;
  const auto finish = [&](std::size_t offset) {
    return [&, offset](std::size_t begin, std::size_t end) {
      finished_whole_heads = finished_whole_heads && begin % head == 0 && (end - begin) % head == 0;
      for (std::size_t r = begin; r < end; ++r) {
#pragma omp atomic
        ++finished_rows[offset + r];
      }
    };
  };
  const LinearTarget targets[] = {{&q->matrix, yq, q_bias, head, finish(0)},
                                  {&k->matrix, yk, none, head, finish(256)},
                                  {&v->matrix, yv, none}};
  for (const auto& target : targets) check_linear_target(target, x.size(), tokens);
#pragma omp parallel num_threads(threads)
  {
    linear_in_team(targets, x, tokens);
    const LinearTarget output{&o->matrix, yo, none};
    linear_in_team(std::span(&output, 1), yq, tokens, Accumulate::Yes);  // q's output as o's input
    gated_linear_in_team({&gate->matrix, yg, none}, {&up->matrix, yu, none}, x, tokens);
  }
  EXPECT_TRUE(std::all_of(finished_rows.begin(), finished_rows.end(), [](int n) { return n == 1; }));
  EXPECT_TRUE(finished_whole_heads);
  // float32 sgemm against double sums of 256 products of unit normals: ~1e-6 relative.
  const auto expected_q = naive(*q, x, tokens, q_bias, nullptr);
  EXPECT_LT(worst_relative(yq, expected_q), 1e-5);
  EXPECT_LT(worst_relative(yk, naive(*k, x, tokens, none, nullptr)), 1e-5);
  EXPECT_LT(worst_relative(yv, naive(*v, x, tokens, none, nullptr)), 1e-5);
  EXPECT_LT(worst_relative(yo, naive(*o, yq, tokens, none, &residual)), 1e-5);
  const auto g = naive(*gate, x, tokens, none, nullptr), u = naive(*up, x, tokens, none, nullptr);
  std::vector<float> swiglu(g.size());
  for (std::size_t i = 0; i < g.size(); ++i) swiglu[i] = static_cast<float>(g[i] / (1.0 + std::exp(-double(g[i]))) * u[i]);
  EXPECT_LT(worst_relative(yg, swiglu), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(StoragesAndTeams, FusedLinear,
                         ::testing::Combine(::testing::Values(Storage::F32, Storage::BF16, Storage::Affine3g32,
                                                              Storage::Affine4g64, Storage::Affine8g128, Storage::Q8_0,
                                                              Storage::Q4_0, Storage::Q4_K, Storage::Q6_K),
                                            ::testing::Values(1, 2)),
                         [](const ::testing::TestParamInfo<FusedLinear::ParamType>& info) {
                           return std::string(storage_name(std::get<0>(info.param))) + "_" +
                                  std::to_string(std::get<1>(info.param)) + "threads";
                         });

// One token (decode: the sgemv path) through the same fused call.
TEST(FusedLinearOneToken, MatchesTheStraightLoop) {
  const auto w = stored(Storage::Affine4g64, 200, 128, 11), w2 = stored(Storage::Q8_0, 96, 128, 12);
  const auto x = random_values(128, 13);
  std::vector<float> y(200), y2(96);
  const LinearTarget targets[] = {{&w->matrix, y, {}}, {&w2->matrix, y2, {}}};
#pragma omp parallel num_threads(2)
  linear_in_team(targets, x, 1);
  EXPECT_LT(worst_relative(y, naive(*w, x, 1, {}, nullptr)), 1e-5);
  EXPECT_LT(worst_relative(y2, naive(*w2, x, 1, {}, nullptr)), 1e-5);
}

std::vector<std::int32_t> some_tokens(std::size_t n, std::size_t vocab) {
  std::vector<std::int32_t> tokens;
  for (std::size_t i = 0; i < n; ++i) tokens.push_back(static_cast<std::int32_t>((i * 37 + 11) % vocab));
  return tokens;
}

// The rows asked for are the same values as those rows of the full result (the last layer's
// MLP and the output projection run for them only), dense and MoE.
TEST(ForwardRows, EqualTheSameRowsOfTheFullForward) {
  for (const char* dir : {"models/qwen3-tiny-5.8m", "models/moe-tiny-mixtral"}) {
    const Model model = Model::load(test::shared_path(dir));
    const std::size_t vocab = model.vocab_size();
    const auto tokens = some_tokens(40, vocab);
    const auto full = model.forward(tokens);
    const auto part = model.forward(tokens, LogitRows{20, 39});
    ASSERT_EQ(part.size(), 19 * vocab) << dir;
    double worst = 0.0;
    for (std::size_t i = 0; i < part.size(); ++i) worst = std::max(worst, std::abs(double(part[i]) - full[20 * vocab + i]));
    EXPECT_LT(worst, 1e-4) << dir;  // float32 rounding: sgemm blocks 19 rows differently from 40
    EXPECT_TRUE(model.forward(tokens, LogitRows{40, 40}).empty()) << dir;
    EXPECT_EQ(model.forward(tokens, LogitRows{39}).size(), vocab) << dir;  // end clipped to the tokens
  }
}

// The team size changes only how bands are dealt out, not the arithmetic of any value
// beyond float32 rounding.
TEST(ForwardThreads, OneAndTwoThreadsAgree) {
  const Model model = Model::load(test::shared_path("models/qwen3-tiny-5.8m"));
  const auto tokens = some_tokens(256, model.vocab_size());  // large enough for a team
  const int before = omp_get_max_threads();
  omp_set_num_threads(1);
  const auto one = model.forward(tokens);
  omp_set_num_threads(2);
  const auto two = model.forward(tokens);
  omp_set_num_threads(before);
  ASSERT_EQ(one.size(), two.size());
  double worst = 0.0;
  for (std::size_t i = 0; i < one.size(); ++i) worst = std::max(worst, std::abs(double(one[i]) - two[i]));
  EXPECT_LT(worst, 1e-4);
}

}  // namespace
}  // namespace swan::inference
