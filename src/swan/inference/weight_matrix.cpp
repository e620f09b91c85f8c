// Row-band access to float and MLX-quantized weight matrices.
#include "swan/inference/weight_matrix.h"

#include <cstdint>
#include <cstring>
#include <vector>

#include "swan/core/error.h"
#include "swan/quant/ggml_quantize.h"

namespace swan::inference {

WeightMatrix WeightMatrix::dense(std::string name, DType dtype, std::span<const std::byte> data, std::size_t rows,
                                 std::size_t cols) {
  if (!is_float_weight_dtype(dtype))
    fail("weight \"{}\" has dtype {}; inference reads F32, F16 or BF16 (or MLX U32 with scales/biases)", name,
         dtype_name(dtype));
  SWAN_CHECK(data.size() == rows * cols * dtype_size(dtype), "{}: {} bytes for [{}, {}] {}", name, data.size(), rows,
             cols, dtype_name(dtype));
  WeightMatrix matrix;
  matrix.name_ = std::move(name);
  matrix.rows_ = rows;
  matrix.cols_ = cols;
  matrix.dtype_ = dtype;
  matrix.data_ = data;
  return matrix;
}

WeightMatrix WeightMatrix::affine(std::string name, std::span<const std::byte> packed, DType scale_dtype,
                                  std::span<const std::byte> scales, std::span<const std::byte> biases,
                                  std::size_t rows, std::size_t cols, quant::AffineFormat format) {
  SWAN_CHECK(quant::is_supported(format), "{}: bits {} group {}", name, format.bits, format.group_size);
  SWAN_CHECK(cols % static_cast<std::size_t>(format.group_size) == 0, "{}: cols {} group {}", name, cols,
             format.group_size);
  if (!is_float_weight_dtype(scale_dtype))
    fail("quantized weight \"{}\" has scales of dtype {}; expected F32, F16 or BF16", name, dtype_name(scale_dtype));
  const std::size_t groups = rows * cols / static_cast<std::size_t>(format.group_size);
  SWAN_CHECK(packed.size() == rows * quant::packed_words_per_row(cols, format.bits) * 4, "{}: packed size", name);
  SWAN_CHECK(scales.size() == groups * dtype_size(scale_dtype) && biases.size() == scales.size(),
             "{}: scales/biases size", name);
  WeightMatrix matrix;
  matrix.name_ = std::move(name);
  matrix.rows_ = rows;
  matrix.cols_ = cols;
  matrix.quantized_ = true;
  matrix.dtype_ = DType::U32;
  matrix.format_ = format;
  matrix.scale_dtype_ = scale_dtype;
  matrix.data_ = packed;
  matrix.scales_ = scales;
  matrix.biases_ = biases;
  return matrix;
}

WeightMatrix WeightMatrix::ggml(std::string name, quant::GgmlType type, std::span<const std::byte> data, std::size_t rows,
                                std::size_t cols, std::size_t permuted_head_rows) {
  SWAN_CHECK(data.size() == rows * quant::bytes_for(type, cols), "{}: {} bytes for [{}, {}] {}", name, data.size(), rows,
             cols, quant::ggml_type_name(type));
  SWAN_CHECK(permuted_head_rows == 0 || (rows % permuted_head_rows == 0 && permuted_head_rows % 2 == 0),
             "{}: {} rows in heads of {}", name, rows, permuted_head_rows);
  if (permuted_head_rows == 0 && (type == quant::GgmlType::F32 || type == quant::GgmlType::F16 || type == quant::GgmlType::BF16))
    return dense(std::move(name), type == quant::GgmlType::F32 ? DType::F32 : type == quant::GgmlType::F16 ? DType::F16 : DType::BF16, data, rows, cols);
  WeightMatrix matrix;
  matrix.name_ = std::move(name);
  matrix.rows_ = rows;
  matrix.cols_ = cols;
  matrix.quantized_ = quant::is_block_quantized(type);
  matrix.dtype_ = DType::U8;
  matrix.ggml_ = true;
  matrix.ggml_type_ = type;
  matrix.permuted_head_rows_ = permuted_head_rows;
  matrix.data_ = data;
  return matrix;
}

const float* WeightMatrix::float_data() const {
  if (quantized_ || ggml_ || dtype_ != DType::F32) return nullptr;
  if (reinterpret_cast<std::uintptr_t>(data_.data()) % alignof(float) != 0) return nullptr;
  return reinterpret_cast<const float*>(data_.data());
}

void WeightMatrix::read_rows(std::size_t begin, std::size_t end, std::span<float> out) const {
  SWAN_CHECK(begin <= end && end <= rows_, "{}: rows [{}, {}) of {}", name_, begin, end, rows_);
  const std::size_t count = end - begin;
  SWAN_CHECK(out.size() == count * cols_, "{}: output holds {} values, need {}", name_, out.size(), count * cols_);
  if (ggml_) {
    const std::size_t row_bytes = quant::bytes_for(ggml_type_, cols_);
    if (permuted_head_rows_ == 0) {
      quant::dequantize_rows(ggml_type_, data_.subspan(begin * row_bytes, count * row_bytes), count, cols_, out, 1);
      return;
    }
    // HF row j of a head is stored as row 2j, HF row j + half as row 2j + 1.
    const std::size_t head = permuted_head_rows_, half = head / 2;
    for (std::size_t r = begin; r < end; ++r) {
      const std::size_t within = r % head;
      const std::size_t stored = r - within + (within < half ? 2 * within : 2 * (within - half) + 1);
      quant::dequantize_row_reference(ggml_type_, data_.subspan(stored * row_bytes, row_bytes),
                                      out.subspan((r - begin) * cols_, cols_));
    }
    return;
  }
  if (!quantized_) {
    const std::size_t row_bytes = cols_ * dtype_size(dtype_);
    convert_to_float(dtype_, data_.subspan(begin * row_bytes, count * row_bytes), out);
    return;
  }
  // The mapped words need not be 4-byte aligned (MLX does not pad safetensors headers), so
  // the band is copied into an aligned buffer first; that costs 1/8 of the dequantization
  // writes at 4 bits.
  thread_local std::vector<std::uint32_t> packed;
  thread_local std::vector<float> scales;
  thread_local std::vector<float> biases;
  const std::size_t words_per_row = quant::packed_words_per_row(cols_, format_.bits);
  const std::size_t groups_per_row = cols_ / static_cast<std::size_t>(format_.group_size);
  packed.resize(count * words_per_row);
  scales.resize(count * groups_per_row);
  biases.resize(count * groups_per_row);
  std::memcpy(packed.data(), data_.data() + begin * words_per_row * 4, count * words_per_row * 4);
  const std::size_t scale_row_bytes = groups_per_row * dtype_size(scale_dtype_);
  convert_to_float(scale_dtype_, scales_.subspan(begin * scale_row_bytes, count * scale_row_bytes), scales);
  convert_to_float(scale_dtype_, biases_.subspan(begin * scale_row_bytes, count * scale_row_bytes), biases);
  quant::dequantize_rows(packed, scales, biases, 0, count, cols_, format_, out);
}

}  // namespace swan::inference
