// Banded linear layer: tile-convert the weight, sgemm per band.
#include "swan/inference/linear.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <vector>

#include "swan/core/error.h"

namespace swan::inference {
namespace {

// Rows per band: a float32 tile of about 512 KiB (stays in L2 while sgemm streams the
// activations past it), at least 32 rows because every band's sgemm re-packs the whole
// activation matrix (n x cols) and that copy must stay small next to the band's
// n x cols x rows multiply-adds, and small enough that every thread gets several bands.
std::size_t band_rows(std::size_t rows, std::size_t cols, int threads) {
  std::size_t band = std::clamp<std::size_t>((std::size_t{128} * 1024) / std::max<std::size_t>(cols, 1), 32, 256);
  const std::size_t per_thread = (rows + 4 * static_cast<std::size_t>(threads) - 1) / (4 * static_cast<std::size_t>(threads));
  band = std::min(band, std::max<std::size_t>(16, per_thread));
  return (band + 15) / 16 * 16;
}

}  // namespace

void linear(const WeightMatrix& weight, std::span<const float> x, std::size_t tokens, std::span<float> y,
            std::span<const float> bias) {
  const std::size_t rows = weight.rows();
  const std::size_t cols = weight.cols();
  SWAN_CHECK(x.size() == tokens * cols, "{}: input has {} values, need {} x {}", weight.name(), x.size(), tokens, cols);
  SWAN_CHECK(y.size() == tokens * rows, "{}: output has {} values, need {} x {}", weight.name(), y.size(), tokens, rows);
  SWAN_CHECK(bias.empty() || bias.size() == rows, "{}: bias has {} values, need {}", weight.name(), bias.size(), rows);
  if (tokens == 0 || rows == 0) return;

  const int threads = omp_get_max_threads();
  const std::size_t band = band_rows(rows, cols, threads);
  const std::size_t bands = (rows + band - 1) / band;
  const float* in_place = weight.float_data();
  // Below ~4M multiply-adds (a few tens of microseconds) waking the other threads costs more
  // than it saves, and on a loaded machine a region's barrier can wait a whole time slice.
  const bool parallel = tokens * rows * cols >= (std::size_t{1} << 22);

#pragma omp parallel if (parallel)
  {
    std::vector<float> tile;
#pragma omp for schedule(dynamic, 1)
    for (std::size_t b = 0; b < bands; ++b) {
      const std::size_t begin = b * band;
      const std::size_t end = std::min(rows, begin + band);
      const std::size_t count = end - begin;
      const float* w = nullptr;
      if (in_place != nullptr) {
        w = in_place + begin * cols;
      } else {
        tile.resize(count * cols);
        weight.read_rows(begin, end, tile);
        w = tile.data();
      }
      if (tokens == 1)  // decoding: sgemm would re-pack the tile only to use it once (~45 % of a decode step)
        cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(count), static_cast<int>(cols), 1.0f, w,
                    static_cast<int>(cols), x.data(), 1, 0.0f, y.data() + begin, 1);
      else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(tokens), static_cast<int>(count),
                    static_cast<int>(cols), 1.0f, x.data(), static_cast<int>(cols), w, static_cast<int>(cols), 0.0f,
                    y.data() + begin, static_cast<int>(rows));
      if (!bias.empty()) {
        for (std::size_t t = 0; t < tokens; ++t) {
          float* out = y.data() + t * rows + begin;
          const float* add = bias.data() + begin;
#pragma omp simd
          for (std::size_t r = 0; r < count; ++r) out[r] += add[r];
        }
      }
    }
  }
}

SingleThreadedBlas::SingleThreadedBlas() : previous_threads_(openblas_get_num_threads()) {
  if (previous_threads_ != 1) openblas_set_num_threads(1);
}

SingleThreadedBlas::~SingleThreadedBlas() {
  if (previous_threads_ != 1) openblas_set_num_threads(previous_threads_);
}

}  // namespace swan::inference
