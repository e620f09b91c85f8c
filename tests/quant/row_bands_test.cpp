// for_each_row_band over a range of rows: the bands it hands out tile exactly that range
// (across the boundary between two parts too) with the source's own values, the ranges it
// releases are exactly the range's bytes, a NaN is reported at its index in the whole
// parameter and only if it is inside the range, and a range past the end is refused.
#include "swan/quant/row_bands.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <cmath>
#include <limits>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "swan/core/error.h"
#include "swan/core/float_formats.h"
#include "swan/quant/finite.h"

namespace swan::quant {
namespace {

struct Seen {
  std::mutex mutex;
  std::vector<std::pair<std::size_t, std::size_t>> bands;                  // first row, rows
  std::vector<std::tuple<std::size_t, std::size_t, std::size_t>> released;  // part, offset, bytes
};

// Two parts of 300 rows of 1000 float32 values each, value = row * 1000 + column.
struct TwoParts {
  static constexpr std::size_t kRows = 300, kCols = 1000;
  std::vector<float> a, b;
  TwoParts() {
    for (std::size_t i = 0; i < kRows * kCols; ++i) {
      a.push_back(static_cast<float>(i));
      b.push_back(static_cast<float>(kRows * kCols + i));
    }
  }
  ParameterSource source(Seen& seen) const {
    ParameterSource s;
    s.name = "experts.weight";
    s.dtype = DType::F32;
    s.cols = kCols;
    s.parts = {std::as_bytes(std::span(a)), std::as_bytes(std::span(b))};
    s.release = [&seen](std::size_t part, std::size_t offset, std::size_t bytes) {
      std::lock_guard lock(seen.mutex);
      seen.released.emplace_back(part, offset, bytes);
    };
    return s;
  }
};

void visit(const ParameterSource& source, RowBand range, Seen& seen, bool& values_match) {
  values_match = true;
  for_each_row_band(source, DType::F32, range, [&](const RowBand& band, std::span<const float> values) {
    bool match = values.size() == band.rows * TwoParts::kCols;
    for (std::size_t i = 0; match && i < values.size(); ++i)
      match = values[i] == static_cast<float>(band.first_row * TwoParts::kCols + i);
    std::lock_guard lock(seen.mutex);
    values_match = values_match && match;
    seen.bands.emplace_back(band.first_row, band.rows);
  });
}

TEST(RowBands, ARangeIsTiledExactlyWithItsOwnValuesAndReleasedExactly) {
  const TwoParts m;
  for (const RowBand range : {RowBand{0, 600}, RowBand{250, 100}, RowBand{7, 1}, RowBand{300, 300}, RowBand{599, 1},
                              RowBand{120, 0}}) {
    Seen seen;
    bool values_match = false;
    visit(m.source(seen), range, seen, values_match);
    EXPECT_TRUE(values_match) << range.first_row;
    std::sort(seen.bands.begin(), seen.bands.end());
    std::size_t next = range.first_row;
    for (const auto& [first, rows] : seen.bands) {
      EXPECT_EQ(first, next) << range.first_row;
      EXPECT_GT(rows, 0u);
      EXPECT_TRUE(first + rows <= 300 || first >= 300) << "a band spans two parts";
      next = first + rows;
    }
    EXPECT_EQ(next, range.first_row + range.rows);
    // Released bytes: exactly the range, part by part.
    std::size_t released_rows[2] = {0, 0};
    for (const auto& [part, offset, bytes] : seen.released) {
      const std::size_t row_bytes = TwoParts::kCols * 4;
      ASSERT_EQ(offset % row_bytes, 0u);
      ASSERT_EQ(bytes % row_bytes, 0u);
      const std::size_t first = part * 300 + offset / row_bytes;
      EXPECT_GE(first, range.first_row);
      EXPECT_LE(first + bytes / row_bytes, range.first_row + range.rows);
      released_rows[part] += bytes / row_bytes;
    }
    EXPECT_EQ(released_rows[0] + released_rows[1], range.rows) << range.first_row;
  }
}

TEST(RowBands, ANonFiniteValueIsReportedAtItsWholeParameterIndexOnlyInsideTheRange) {
  TwoParts m;
  m.b[10 * TwoParts::kCols + 3] = std::numeric_limits<float>::quiet_NaN();  // row 310 of the parameter
  Seen seen;
  bool values_match = false;
  try {
    visit(m.source(seen), {305, 20}, seen, values_match);
    ADD_FAILURE() << "the NaN in row 310 was not reported";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("non-finite value nan at element 310003"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(visit(m.source(seen), {0, 310}, seen, values_match));
  EXPECT_NO_THROW(visit(m.source(seen), {311, 289}, seen, values_match));
}

TEST(RowBands, ARangePastTheLastRowIsRefused) {
  const TwoParts m;
  Seen seen;
  bool values_match = false;
  EXPECT_THROW(visit(m.source(seen), {590, 11}, seen, values_match), Error);
  EXPECT_THROW(visit(m.source(seen), {601, 0}, seen, values_match), Error);
}

// The fused widening and check against convert_to_float and a per-value exponent test:
// every bf16 pattern with an all-ones exponent (NaN, +-Inf) is caught wherever it sits, the
// largest finite values are not, and the widened values are the plain conversion's.
TEST(RowBands, WideningWithTheFiniteCheckAgreesWithConvertThenCheck) {
  std::vector<std::uint16_t> bits(3000);
  for (std::size_t i = 0; i < bits.size(); ++i) bits[i] = static_cast<std::uint16_t>(i * 40503u);  // all exponents
  for (auto& b : bits)
    if ((b & 0x7f80u) == 0x7f80u) b = 0x7f7f;  // the largest finite bf16 instead
  bits[5] = 0xff7f;                            // -largest finite
  auto check = [&](const std::vector<std::uint16_t>& v, bool finite) {
    std::vector<float> fused(v.size()), plain(v.size());
    EXPECT_EQ(convert_to_float_all_finite(DType::BF16, std::as_bytes(std::span(v)), fused), finite);
    convert_to_float(DType::BF16, std::as_bytes(std::span(v)), plain);
    EXPECT_EQ(std::memcmp(fused.data(), plain.data(), 4 * v.size()), 0);
    EXPECT_EQ(!first_non_finite(plain).has_value(), finite);
  };
  check(bits, true);
  for (const std::uint16_t bad : {0x7f80, 0xff80, 0x7fc0, 0x7f81, 0xffff})
    for (const std::size_t at : {std::size_t{0}, std::size_t{1500}, std::size_t{2999}}) {
      auto v = bits;
      v[at] = bad;
      check(v, false);
    }
  std::vector<float> f32{1.0f, std::numeric_limits<float>::infinity()}, out(2);
  EXPECT_FALSE(convert_to_float_all_finite(DType::F32, std::as_bytes(std::span(f32)), out));
  f32[1] = -3.0f;
  EXPECT_TRUE(convert_to_float_all_finite(DType::F32, std::as_bytes(std::span(f32)), out));
}

}  // namespace
}  // namespace swan::quant
