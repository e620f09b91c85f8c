// A read-only view of one weight matrix [rows, cols] as it sits in the (memory-mapped)
// model files: either float (F32 / F16 / BF16) or MLX affine-quantized (packed U32 codes
// plus per-group scales and biases). The matrix is never expanded as a whole: callers ask
// for a band of rows as float32 (a tile small enough to stay in cache), which is how the
// forward pass keeps a bf16 or 4-bit model at its stored size in memory.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "swan/core/dtype.h"
#include "swan/quant/affine.h"
#include "swan/quant/ggml_type.h"

namespace swan::inference {

class WeightMatrix {
 public:
  WeightMatrix() = default;

  // `data` holds rows * cols values of `dtype` (F32, F16 or BF16), row-major.
  static WeightMatrix dense(std::string name, DType dtype, std::span<const std::byte> data, std::size_t rows,
                            std::size_t cols);
  // `packed` holds rows * packed_words_per_row(cols, bits) little-endian U32 words; `scales`
  // and `biases` hold rows * cols / group_size values of `scale_dtype` (F32, F16 or BF16).
  static WeightMatrix affine(std::string name, std::span<const std::byte> packed, DType scale_dtype,
                             std::span<const std::byte> scales, std::span<const std::byte> biases, std::size_t rows,
                             std::size_t cols, quant::AffineFormat format);

  // `data` holds rows * bytes_for(type, cols) bytes of a ggml type (GGUF). With
  // `permuted_head_rows` > 0 the stored rows are in llama.cpp's RoPE order (llama's q/k) and
  // read back in HF order, heads of that many rows.
  static WeightMatrix ggml(std::string name, quant::GgmlType type, std::span<const std::byte> data, std::size_t rows,
                           std::size_t cols, std::size_t permuted_head_rows = 0);

  const std::string& name() const { return name_; }
  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  bool is_quantized() const { return quantized_; }
  quant::AffineFormat format() const { return format_; }
  DType dtype() const { return dtype_; }  // storage dtype (U32 when quantized)
  std::size_t stored_bytes() const { return data_.size() + scales_.size() + biases_.size(); }

  // The rows as float32 in place when the storage already is 4-byte-aligned F32 (no copy
  // needed), nullptr otherwise.
  const float* float_data() const;
  // Writes rows [begin, end) as float32 to `out` ((end - begin) * cols values): widened
  // exactly from F16/BF16, or dequantized as float(q) * scale + bias (MLX's float32 math).
  // Thread-safe; allocates nothing after a thread's first call.
  void read_rows(std::size_t begin, std::size_t end, std::span<float> out) const;

 private:
  std::string name_;
  std::size_t rows_ = 0;
  std::size_t cols_ = 0;
  bool quantized_ = false;
  DType dtype_ = DType::F32;
  quant::AffineFormat format_;
  bool ggml_ = false;
  quant::GgmlType ggml_type_ = quant::GgmlType::F32;
  std::size_t permuted_head_rows_ = 0;
  DType scale_dtype_ = DType::F32;
  std::span<const std::byte> data_;
  std::span<const std::byte> scales_;
  std::span<const std::byte> biases_;
};

}  // namespace swan::inference
