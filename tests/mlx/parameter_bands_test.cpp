// Band-wise conversion and quantization of one parameter against whole-tensor references:
// the quantizer's scalar reference on the full matrix, convert_from_float on the full vector,
// and hand-placed NaN/overflow values whose indices the errors must report.
#include "swan/mlx/parameter_bands.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "swan/core/error.h"
#include "swan/core/float_formats.h"

namespace swan::mlx {
namespace {

std::vector<std::uint16_t> random_bf16(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 0.05f);
  std::vector<std::uint16_t> out(n);
  for (auto& v : out) v = float_to_bf16(dist(rng));
  return out;
}

// Two parts (stacked experts) of a 2 x rows x cols parameter, many bands each.
struct TwoParts {
  std::size_t rows = 300, cols = 512;  // 300 rows = several 128-row bands plus a remainder
  std::vector<std::uint16_t> a = random_bf16(rows * cols, 1), b = random_bf16(rows * cols, 2);

  ParameterSource source() const {
    ParameterSource s;
    s.name = "experts.weight";
    s.dtype = DType::BF16;
    s.cols = cols;
    s.parts = {std::as_bytes(std::span(a)), std::as_bytes(std::span(b))};
    return s;
  }
  std::vector<float> all_values() const {
    std::vector<float> v;
    for (auto bits : a) v.push_back(bf16_to_float(bits));
    for (auto bits : b) v.push_back(bf16_to_float(bits));
    return v;
  }
};

std::string error_of(auto&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ParameterBands, QuantizedEqualsTheReferenceOnTheWholeMatrixForAnyThreadCount) {
  const TwoParts m;
  const int default_threads = omp_get_max_threads();
  for (DType dtype : {DType::BF16, DType::F16, DType::F32}) {
    const std::vector<float> values = m.all_values();  // bf16 values are exact in all three
    const std::size_t rows = 2 * m.rows;
    const quant::AffineFormat format{3, 64};
    std::vector<std::uint32_t> packed(rows * quant::packed_words_per_row(m.cols, format.bits));
    std::vector<float> scales(rows * m.cols / 64), biases(scales.size());
    quant::quantize_affine_reference(values, rows, m.cols, format, dtype, packed, scales, biases);
    std::vector<std::byte> scale_bytes(scales.size() * dtype_size(dtype)), bias_bytes(scale_bytes.size());
    convert_from_float(scales, dtype, scale_bytes);
    convert_from_float(biases, dtype, bias_bytes);
    for (int threads : {1, 2, 3}) {
      omp_set_num_threads(threads);
      const QuantizedParameter q = quantize_parameter(m.source(), dtype, format);
      ASSERT_EQ(q.packed.size, packed.size());
      EXPECT_EQ(std::memcmp(q.packed.data.get(), packed.data(), packed.size() * 4), 0) << threads;
      ASSERT_EQ(q.scales.size, scale_bytes.size());
      EXPECT_EQ(std::memcmp(q.scales.data.get(), scale_bytes.data(), scale_bytes.size()), 0) << threads;
      EXPECT_EQ(std::memcmp(q.biases.data.get(), bias_bytes.data(), bias_bytes.size()), 0) << threads;
    }
  }
  omp_set_num_threads(default_threads);
}

TEST(ParameterBands, ConvertedEqualsWholeVectorRounding) {
  std::vector<float> values(70000 * 3);  // rows of 3: one band holds many rows
  std::mt19937 rng(3);
  std::normal_distribution<float> dist(0.0f, 100.0f);
  for (auto& v : values) v = dist(rng);
  ParameterSource s;
  s.name = "w";
  s.dtype = DType::F32;
  s.cols = 3;
  s.parts = {std::as_bytes(std::span(values))};
  for (DType dtype : {DType::F16, DType::BF16}) {
    std::vector<std::byte> expected(values.size() * 2);
    convert_from_float(values, dtype, expected);
    const Buffer<std::byte> out = convert_parameter(s, dtype);
    ASSERT_EQ(out.size, expected.size());
    EXPECT_EQ(std::memcmp(out.data.get(), expected.data(), expected.size()), 0) << dtype_name(dtype);
  }
}

TEST(ParameterBands, ReportsTheFirstNonFiniteValueBeforeAnyOverflow) {
  std::vector<float> values(1000 * 256, 0.5f);
  values[5 * 256 + 7] = 1.0e6f;                                          // overflows fp16, early
  values[900 * 256 + 3] = std::numeric_limits<float>::quiet_NaN();      // non-finite, late band
  values[950 * 256] = std::numeric_limits<float>::infinity();
  ParameterSource s;
  s.name = "model.layers.0.mlp.up_proj.weight";
  s.dtype = DType::F32;
  s.cols = 256;
  s.parts = {std::as_bytes(std::span(values))};
  const auto message = error_of([&] { quantize_parameter(s, DType::F16, {4, 64}); });
  EXPECT_NE(message.find("'model.layers.0.mlp.up_proj.weight' holds the non-finite value nan at element 230403"),
            std::string::npos)
      << message;
  values[900 * 256 + 3] = 0.5f;
  values[950 * 256] = 0.5f;
  const auto overflow = error_of([&] { convert_parameter(s, DType::F16); });
  EXPECT_NE(overflow.find("overflows F16 (becomes inf at element 1287"), std::string::npos) << overflow;
  EXPECT_EQ(error_of([&] { convert_parameter(s, DType::BF16); }), "");  // bf16 has float32's range
}

TEST(ParameterBands, RawFiniteCheckLooksAtTheExponentOfEachDtype) {
  const std::vector<std::uint16_t> bf16{0x3f80, 0x7f7f, 0xff80, 0x7fc0};  // 1, max, -inf, nan
  EXPECT_EQ(first_non_finite_raw(DType::BF16, std::as_bytes(std::span(bf16))), 2u);
  const std::vector<std::uint16_t> fp16{0x3c00, 0x7bff, 0x0001, 0x7e00};  // 1, max, subnormal, nan
  EXPECT_EQ(first_non_finite_raw(DType::F16, std::as_bytes(std::span(fp16))), 3u);
  std::vector<float> f32(3000, 1.0f);
  EXPECT_EQ(first_non_finite_raw(DType::F32, std::as_bytes(std::span(f32))), 3000u);
  f32[2500] = -std::numeric_limits<float>::infinity();
  EXPECT_EQ(first_non_finite_raw(DType::F32, std::as_bytes(std::span(f32))), 2500u);

  ParameterSource s;
  s.name = "model.norm.weight";
  s.dtype = DType::BF16;
  s.cols = 2;
  s.parts = {std::as_bytes(std::span(bf16)).first(4), std::as_bytes(std::span(bf16)).subspan(4)};
  const auto message = error_of([&] { check_finite(s); });
  EXPECT_NE(message.find("'model.norm.weight' holds the non-finite value -inf at element 2"), std::string::npos)
      << message;
}

}  // namespace
}  // namespace swan::mlx
