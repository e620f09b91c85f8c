// Band-wise streaming of one parameter through float32; see row_bands.h.
#include "swan/quant/row_bands.h"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <exception>
#include <limits>

#include "swan/core/error.h"
#include "swan/quant/finite.h"

namespace swan::quant {
namespace {

// ~256 KB of float32 per band: fits in L2 next to its outputs.
constexpr std::size_t kBandElements = std::size_t{1} << 16;
// Below this many elements per thread a parameter is converted single-threaded (starting a
// team costs more than a small norm vector takes).
constexpr std::size_t kMinElementsPerThread = std::size_t{1} << 16;

// Source pages are dropped a chunk of consecutive bands at a time: each drop is a madvise
// that interrupts every core running this process to flush its TLB (measured: dropping
// per band cost ~6 % of the CPU time), so chunks are large, but many per thread: the
// chunks are also the unit of scheduling, and when a parameter's last chunk runs the other
// core idles (Q4_K takes ~3.5 ms per MB of bf16 input, so a 16 MB chunk left up to ~55 ms
// per tensor on one core).
constexpr std::size_t kMaxChunkBytes = std::size_t{4} << 20;
constexpr std::size_t kChunksPerParameter = 32;

constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
constexpr RowBand kAllRows{0, kNone};

struct Band {
  std::size_t part = 0;
  std::size_t first_row = 0;  // in the whole parameter
  std::size_t part_row = 0;   // in its part
  std::size_t rows = 0;
};

struct Chunk {
  std::size_t first_band = 0;
  std::size_t end_band = 0;
};

// Consecutive bands of one part, about `chunk_bytes` of source each.
std::vector<Chunk> group_into_chunks(const ParameterSource& source, const std::vector<Band>& bands) {
  const std::size_t row_bytes = source.cols * dtype_size(source.dtype);
  std::size_t total = 0;
  for (const auto& band : bands) total += band.rows * row_bytes;
  const std::size_t chunk_bytes = std::min(kMaxChunkBytes, total / kChunksPerParameter);
  std::vector<Chunk> chunks;
  std::size_t bytes = 0;
  for (std::size_t b = 0; b < bands.size(); ++b) {
    if (chunks.empty() || bands[b].part != bands[chunks.back().first_band].part || bytes >= chunk_bytes) {
      chunks.push_back({b, b});
      bytes = 0;
    }
    chunks.back().end_band = b + 1;
    bytes += bands[b].rows * row_bytes;
  }
  return chunks;
}

// The bands of rows [range.first_row, range.first_row + range.rows) of the parameter (all
// of it for kAllRows), each within one part.
std::vector<Band> split_into_bands(const ParameterSource& source, RowBand range) {
  SWAN_CHECK(source.cols > 0, "parameter '{}' has no columns", source.name);
  const std::size_t row_bytes = source.cols * dtype_size(source.dtype);
  const std::size_t band_rows = std::max<std::size_t>(1, kBandElements / source.cols);
  const std::size_t range_end = range.rows == kNone ? kNone : range.first_row + range.rows;
  std::vector<Band> bands;
  std::size_t first_row = 0;
  for (std::size_t part = 0; part < source.parts.size(); ++part) {
    SWAN_CHECK(source.parts[part].size() % row_bytes == 0, "parameter '{}' part {} is not whole rows", source.name,
               part);
    const std::size_t rows = source.parts[part].size() / row_bytes;
    const std::size_t begin = std::clamp(range.first_row, first_row, first_row + rows) - first_row;
    const std::size_t end = std::clamp(range_end, first_row, first_row + rows) - first_row;
    for (std::size_t r = begin; r < end; r += band_rows) {
      const std::size_t n = std::min(band_rows, end - r);
      bands.push_back({part, first_row + r, r, n});
    }
    first_row += rows;
  }
  SWAN_CHECK(range.rows == kNone || range_end <= first_row, "parameter '{}' has {} rows, not rows {} to {}",
             source.name, first_row, range.first_row, range_end);
  return bands;
}

int thread_count(std::size_t chunks, std::size_t elements) {
  const std::size_t by_work = std::max<std::size_t>(elements / kMinElementsPerThread, 1);
  const auto available = static_cast<std::size_t>(std::max(omp_get_max_threads(), 1));
  return static_cast<int>(std::min({available, by_work, std::max<std::size_t>(chunks, 1)}));
}

// The first problem a band found, as an element index into the whole parameter.
struct BandFinding {
  std::size_t non_finite = kNone;  // a NaN/Inf in the source
  std::size_t overflow = kNone;    // finite in the source, not in the written dtype
  float value = 0.0f;              // the offending value (as widened / as rounded)
};

// Runs `work(band, values)` over every band, chunks of bands in parallel, with `values` a
// thread-private float32 buffer holding the band's source values, already checked finite
// and rounded to `dtype` (checked again); `work` is skipped for a band with a finding.
// Then throws for the first finding in element order, as a whole-tensor pass would.
template <typename Work>
void for_each_band(const ParameterSource& source, DType dtype, RowBand range, Work&& work) {
  const std::vector<Band> bands = split_into_bands(source, range);
  const std::size_t cols = source.cols;
  const std::size_t source_size = dtype_size(source.dtype);
  const bool round_trip = dtype != source.dtype && dtype != DType::F32;  // else widening is exact
  const std::vector<Chunk> chunks = group_into_chunks(source, bands);
  std::vector<BandFinding> findings(bands.size());
  std::exception_ptr error;
  std::size_t elements = 0;
  for (const auto& band : bands) elements += band.rows * cols;
  const int threads = thread_count(chunks.size(), elements);
  const auto chunk_count = static_cast<std::ptrdiff_t>(chunks.size());

#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    std::vector<float> values(std::min(elements, std::max(kBandElements, cols)));
    std::vector<std::byte> rounded(round_trip ? values.size() * dtype_size(dtype) : 0);
#pragma omp for schedule(dynamic, 1)
    for (std::ptrdiff_t c = 0; c < chunk_count; ++c) {
      try {
        const Chunk& chunk = chunks[static_cast<std::size_t>(c)];
        for (std::size_t b = chunk.first_band; b < chunk.end_band; ++b) {
          const Band& band = bands[b];
          const std::size_t n = band.rows * cols;
          const std::size_t offset = band.part_row * cols * source_size;
          const auto in = source.parts[band.part].subspan(offset, n * source_size);
          const std::span<float> band_values(values.data(), n);
          BandFinding& finding = findings[b];
          if (!convert_to_float_all_finite(source.dtype, in, band_values)) {
            const std::size_t i = first_non_finite(band_values).value();
            finding.non_finite = band.first_row * cols + i;
            finding.value = band_values[i];
            continue;
          }
          if (round_trip) {
            const std::span<std::byte> narrow(rounded.data(), n * dtype_size(dtype));
            convert_from_float(band_values, dtype, narrow);
            convert_to_float(dtype, narrow, band_values);
            if (const auto i = first_non_finite(band_values)) {
              finding.overflow = band.first_row * cols + *i;
              finding.value = band_values[*i];
              continue;
            }
          }
          work(band, std::span<const float>(band_values));
        }
        if (source.release) {
          const Band& first = bands[chunk.first_band];
          const Band& last = bands[chunk.end_band - 1];
          const std::size_t row_bytes = cols * source_size;
          source.release(first.part, first.part_row * row_bytes, (last.part_row + last.rows - first.part_row) * row_bytes);
        }
      } catch (...) {
#pragma omp critical(swan_row_band_error)
        if (!error) error = std::current_exception();
      }
    }
  }
  if (error) std::rethrow_exception(error);
  // Bands are in element order, so the first band with a finding holds the first one.
  for (const auto& f : findings)
    if (f.non_finite != kNone)
      fail("tensor '{}' holds the non-finite value {} at element {}; swan refuses to write it. Fix or re-export "
           "the source model",
           source.name, f.value, f.non_finite);
  for (const auto& f : findings)
    if (f.overflow != kNone)
      fail("tensor '{}' overflows {} (becomes {} at element {}; swan refuses to write it. Fix or re-export the "
           "source model",
           source.name, dtype_name(dtype), f.value, f.overflow);
}


}  // namespace

std::size_t first_non_finite_raw(DType dtype, std::span<const std::byte> bytes) {
  const std::size_t size = dtype_size(dtype);
  const std::size_t n = bytes.size() / size;
  // Exponent all ones means NaN or Inf. Blocks keep the common all-finite scan branch-free.
  auto scan = [&](auto zero, auto mask) {
    using Bits = decltype(zero);
    constexpr std::size_t kBlock = 1024;
    for (std::size_t begin = 0; begin < n; begin += kBlock) {
      const std::size_t end = std::min(begin + kBlock, n);
      Bits any = 0;
      for (std::size_t i = begin; i < end; ++i) {
        Bits bits;
        std::memcpy(&bits, bytes.data() + i * sizeof(Bits), sizeof(Bits));
        any |= static_cast<Bits>((bits & mask) == mask);
      }
      if (any == 0) continue;
      for (std::size_t i = begin; i < end; ++i) {
        Bits bits;
        std::memcpy(&bits, bytes.data() + i * sizeof(Bits), sizeof(Bits));
        if ((bits & mask) == mask) return i;
      }
    }
    return n;
  };
  switch (dtype) {
    case DType::F32:
      return scan(std::uint32_t{0}, std::uint32_t{0x7f800000u});
    case DType::BF16:
      return scan(std::uint16_t{0}, std::uint16_t{0x7f80u});
    case DType::F16:
      return scan(std::uint16_t{0}, std::uint16_t{0x7c00u});
    default:
      fail("cannot check {} values for NaN/Inf (only F32, F16 and BF16 are numbers)", dtype_name(dtype));
  }
}

void check_finite(const ParameterSource& source) {
  const std::size_t size = dtype_size(source.dtype);
  std::size_t before = 0;
  for (const auto& part : source.parts) {
    const std::size_t i = first_non_finite_raw(source.dtype, part);
    if (i < part.size() / size) {
      float value = 0.0f;
      convert_to_float(source.dtype, part.subspan(i * size, size), std::span<float>(&value, 1));
      fail("tensor '{}' holds the non-finite value {} at element {}; swan refuses to write it. Fix or re-export "
           "the source model",
           source.name, value, before + i);
    }
    before += part.size() / size;
  }
}

Buffer<std::byte> convert_parameter(const ParameterSource& source, DType dtype) {
  const std::size_t cols = source.cols;
  const std::size_t size = dtype_size(dtype);
  Buffer<std::byte> out(total_rows(source) * cols * size);
  for_each_band(source, dtype, kAllRows, [&](const Band& band, std::span<const float> values) {
    convert_from_float(values, dtype, out.span().subspan(band.first_row * cols * size, values.size() * size));
  });
  return out;
}

std::size_t total_rows(const ParameterSource& source) {
  std::size_t bytes = 0;
  for (const auto& part : source.parts) bytes += part.size();
  return bytes / (source.cols * dtype_size(source.dtype));
}

void for_each_row_band(const ParameterSource& source, DType dtype,
                       const std::function<void(const RowBand& band, std::span<const float> values)>& work) {
  for_each_row_band(source, dtype, kAllRows, work);
}

void for_each_row_band(const ParameterSource& source, DType dtype, RowBand rows,
                       const std::function<void(const RowBand& band, std::span<const float> values)>& work) {
  for_each_band(source, dtype, rows, [&](const Band& band, std::span<const float> values) {
    work(RowBand{band.first_row, band.rows}, values);
  });
}

}  // namespace swan::quant
