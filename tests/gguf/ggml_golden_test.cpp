// ggml quantizers against llama.cpp's own output (shared/golden/gguf/llama-synth): every
// 2-D weight of llama-synth-F32.gguf quantized row by row with our reference and our
// row-parallel path must give exactly the bytes llama-quantize --pure wrote for that type;
// norms stay F32. Dequantized tensors must reconstruct the source within the error
// llama.cpp's own Python dequantizers reach on the same files (golden README, step 5).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <ostream>

#include <cmath>
#include <vector>

#include "support/fixtures.h"
#include "swan/gguf/reader.h"
#include "swan/quant/ggml_quantize.h"

namespace swan::gguf {
namespace {

using quant::GgmlType;

std::filesystem::path synth(const std::string& file) { return test::shared_path("golden/gguf/llama-synth/" + file); }

std::vector<float> f32_values(const GgufFile& file, const TensorRecord& t) {
  const auto bytes = file.data(t);
  std::vector<float> values(static_cast<std::size_t>(t.elements()));
  quant::dequantize_row_reference(GgmlType::F32, bytes, values);
  return values;
}

struct PureCase {
  GgmlType type;
  double max_relative_error;  // the golden README's figure for llama.cpp's decoder, plus slack for rounding of the figure
};

// How gtest prints the case (ctest shows it beside the test's name): the type, not raw bytes.
void PrintTo(const PureCase& c, std::ostream* out) {
  *out << quant::ggml_type_name(c.type) << " (max relative error " << c.max_relative_error << ")";
}

class PureTypeGolden : public ::testing::TestWithParam<PureCase> {};

TEST_P(PureTypeGolden, EveryTensorIsByteIdenticalToLlamaQuantize) {
  SWAN_REQUIRE_FIXTURE(gguf_goldens, "golden/gguf/README.md");
  (void)gguf_goldens;
  const PureCase c = GetParam();
  const GgufFile source(synth("llama-synth-F32.gguf"));
  const GgufFile golden(synth(fmt::format("llama-synth-{}.gguf", quant::ggml_type_name(c.type))));
  std::size_t matrices = 0;
  for (const auto& expected : golden.tensors()) {
    const TensorRecord* in = source.find(expected.name);
    ASSERT_NE(in, nullptr) << expected.name;
    ASSERT_EQ(in->ne, expected.ne) << expected.name;
    const auto values = f32_values(source, *in);
    const auto rows = static_cast<std::size_t>(in->rows()), cols = static_cast<std::size_t>(in->row_length());
    const GgmlType type = in->ne.size() >= 2 ? c.type : GgmlType::F32;
    ASSERT_EQ(expected.type, type) << expected.name;
    const auto want = golden.data(expected);

    std::vector<std::byte> reference(rows * quant::bytes_for(type, cols));
    for (std::size_t r = 0; r < rows; ++r)
      quant::quantize_row_reference(type, std::span(values).subspan(r * cols, cols),
                                    std::span(reference).subspan(r * reference.size() / rows, reference.size() / rows));
    ASSERT_EQ(reference.size(), want.size()) << expected.name;
    std::size_t first_diff = reference.size();
    for (std::size_t i = 0; i < reference.size() && first_diff == reference.size(); ++i)
      if (reference[i] != want[i]) first_diff = i;
    EXPECT_EQ(first_diff, reference.size()) << expected.name << ": first differing byte " << first_diff << " (row "
                                            << first_diff / (reference.size() / rows) << ")";

    for (const int threads : {1, 2}) {
      std::vector<std::byte> fast(reference.size());
      quant::quantize_rows(type, values, rows, cols, fast, threads);
      EXPECT_TRUE(fast == reference) << expected.name << " with " << threads << " threads";
    }

    if (type == GgmlType::F32) continue;
    ++matrices;
    std::vector<float> decoded(values.size());
    quant::dequantize_rows(type, want, rows, cols, decoded, 2);
    double max_abs = 0.0, max_err = 0.0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      max_abs = std::max(max_abs, std::fabs(static_cast<double>(values[i])));
      max_err = std::max(max_err, std::fabs(static_cast<double>(decoded[i]) - values[i]));
    }
    EXPECT_LE(max_err / max_abs, c.max_relative_error) << expected.name;
    std::vector<float> decoded_reference(cols);
    for (std::size_t r = 0; r < rows; r += 37) {
      quant::dequantize_row_reference(type, want.subspan(r * want.size() / rows, want.size() / rows), decoded_reference);
      EXPECT_TRUE(std::equal(decoded_reference.begin(), decoded_reference.end(), decoded.begin() + static_cast<std::ptrdiff_t>(r * cols)))
          << expected.name << " row " << r;
    }
  }
  EXPECT_EQ(matrices, 9u);
}

// Limits: the README's max|x̂ − x| / max|x| over all tensors for each type, rounded up in
// its last printed digit.
INSTANTIATE_TEST_SUITE_P(LlamaSynth, PureTypeGolden,
                         ::testing::Values(PureCase{GgmlType::F16, 0.0005}, PureCase{GgmlType::BF16, 0.0030},
                                           PureCase{GgmlType::Q8_0, 0.0040}, PureCase{GgmlType::Q6_K, 0.0160},
                                           PureCase{GgmlType::Q5_1, 0.0177}, PureCase{GgmlType::Q5_K, 0.0178},
                                           PureCase{GgmlType::Q5_0, 0.0313}, PureCase{GgmlType::Q4_K, 0.0359},
                                           PureCase{GgmlType::Q4_1, 0.0371}, PureCase{GgmlType::Q4_0, 0.0625},
                                           PureCase{GgmlType::Q3_K, 0.1212}, PureCase{GgmlType::Q2_K, 0.1649}),
                         [](const auto& info) { return std::string(quant::ggml_type_name(info.param.type)); });

}  // namespace
}  // namespace swan::gguf
