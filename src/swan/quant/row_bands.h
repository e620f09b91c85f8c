// Streams one floating-point parameter through float32 a band of rows at a time: widen
// the source to float32 -> reject NaN/Inf -> round to the written dtype (and reject values
// that overflowed it) -> hand the band to the caller's work (a quantizer of any format, or a
// plain copy). The MLX and GGUF writers both sit on top of this, so a tensor's path from the
// mmap to the output reads the same for both formats.
//
// Why bands: a whole-tensor float32 copy of a large embedding is 2.5 GB, and allocating and
// faulting it in cost more than all the arithmetic. A band (~256 KB of float32) stays in
// cache, each thread owns one band at a time, and the source pages of a finished band are
// dropped from the resident set. Peak memory is the outputs plus one band per thread.
// The row is the unit of work of every quantizer and of every check, so the bytes never
// depend on the band size or the thread count. Errors are the same as for a whole-tensor
// pass: the first non-finite source value if there is one, else the first value that
// overflowed. No file I/O here: the caller hands in the source bytes and writes the results.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "swan/core/dtype.h"

namespace swan::quant {

// A parameter's source data: the bytes of each HF tensor in order (stacked experts are
// several), all of `dtype`, each a whole number of rows of `cols` elements.
struct ParameterSource {
  std::string name;  // for error messages
  DType dtype = DType::F32;
  std::size_t cols = 0;
  std::vector<std::span<const std::byte>> parts;
  // Called with (part index, byte offset, byte count) once a range of a part has been read
  // for the last time, possibly from several threads at once (may be empty).
  std::function<void(std::size_t, std::size_t, std::size_t)> release;
};

// Bytes of a buffer that is written in full before it is read (no zero-fill: filling a
// large output twice costs more than the work that fills it).
template <typename T>
struct Buffer {
  std::unique_ptr<T[]> data;
  std::size_t size = 0;

  explicit Buffer(std::size_t n = 0) : data(std::make_unique_for_overwrite<T[]>(n)), size(n) {}
  std::span<T> span() const { return {data.get(), size}; }
  std::span<const std::byte> bytes() const { return std::as_bytes(span()); }
};

// Rows [first_row, first_row + rows) of the whole parameter (parts stacked in order).
struct RowBand {
  std::size_t first_row = 0;
  std::size_t rows = 0;
};

// Runs `work(band, values)` over every band, bands in parallel on all cores, with `values`
// the band's rows * cols source values widened to float32, checked finite and rounded to
// `dtype` (F32/F16/BF16; checked again). `work` may run on several threads at once for
// different bands and must write only its band's share of the output. Throws for the first
// finding in element order, naming the parameter, after all bands are done.
void for_each_row_band(const ParameterSource& source, DType dtype,
                       const std::function<void(const RowBand& band, std::span<const float> values)>& work);
// The same for rows [rows.first_row, rows.first_row + rows.rows) of the parameter only, so
// a large tensor can be produced and written a slab of rows at a time; bands, element
// indices in errors and the released ranges are the same as in a whole-parameter pass.
void for_each_row_band(const ParameterSource& source, DType dtype, RowBand rows,
                       const std::function<void(const RowBand& band, std::span<const float> values)>& work);

// Rows in the parameter (all parts).
std::size_t total_rows(const ParameterSource& source);

// Index of the first NaN or Inf among the raw `dtype` elements of `bytes` (F32/F16/BF16),
// or bytes.size() / dtype_size(dtype) if there is none. Tests the exponent bits only.
std::size_t first_non_finite_raw(DType dtype, std::span<const std::byte> bytes);

// Throws naming the parameter if any source value is NaN or Inf (the source dtype is kept).
void check_finite(const ParameterSource& source);

// The parameter rounded to `dtype` (a float dtype), as stored.
Buffer<std::byte> convert_parameter(const ParameterSource& source, DType dtype);

}  // namespace swan::quant
