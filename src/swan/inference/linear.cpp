// Banded linear layers: tile-convert the weight, sgemm per band, bands work-shared.
#include "swan/inference/linear.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <vector>

#include "swan/core/error.h"
#include "swan/inference/swiglu.h"
#include "swan/inference/team.h"

namespace swan::inference {
namespace {

// Rows per band of a step whose matrices have `step_rows` rows in all: at most a float32 tile
// of about 512 KiB (stays in L2 while sgemm streams the activations past it), and otherwise
// as few bands as the team needs — one for a lone thread, two per thread in a team (dynamic
// scheduling then evens out a thread delayed by other load) — because every band's sgemm
// re-packs the whole activation matrix (tokens x cols): ~1/band of its multiply-adds but at
// copy speed (measured: 9 % of a one-thread pass with the earlier 64-row bands).
std::size_t band_rows(std::size_t step_rows, std::size_t cols, int threads, std::size_t multiple) {
  const std::size_t tile_rows = std::clamp<std::size_t>((std::size_t{128} * 1024) / std::max<std::size_t>(cols, 1), 32, 512);
  const std::size_t items = threads <= 1 ? 1 : 2 * static_cast<std::size_t>(threads);
  const std::size_t band = std::min(tile_rows, std::max<std::size_t>(32, (step_rows + items - 1) / items));
  return (band + multiple - 1) / multiple * multiple;
}

// The float32 rows [begin, end) of `weight`: in place when it is stored as aligned F32,
// otherwise widened / dequantized into this thread's tile.
const float* band_values(const WeightMatrix& weight, std::size_t begin, std::size_t end) {
  if (const float* in_place = weight.float_data()) return in_place + begin * weight.cols();
  thread_local std::vector<float> tile;
  tile.resize((end - begin) * weight.cols());
  weight.read_rows(begin, end, tile);
  return tile.data();
}

// Output columns [begin, end) of one target: y[:, begin:end] (+)= x · W[begin:end]ᵀ + bias.
void multiply_band(const LinearTarget& target, std::size_t begin, std::size_t end, std::span<const float> x,
                   std::size_t tokens, Accumulate accumulate) {
  const std::size_t rows = target.weight->rows();
  const std::size_t cols = target.weight->cols();
  const std::size_t count = end - begin;
  const float* w = band_values(*target.weight, begin, end);
  const float beta = accumulate == Accumulate::Yes ? 1.0f : 0.0f;
  float* y = target.y.data();
  if (tokens == 1)  // decoding: sgemm would re-pack the tile only to use it once (~45 % of a decode step)
    cblas_sgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(count), static_cast<int>(cols), 1.0f, w,
                static_cast<int>(cols), x.data(), 1, beta, y + begin, 1);
  else
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(tokens), static_cast<int>(count),
                static_cast<int>(cols), 1.0f, x.data(), static_cast<int>(cols), w, static_cast<int>(cols), beta,
                y + begin, static_cast<int>(rows));
  if (target.bias.empty()) return;
  const float* add = target.bias.data() + begin;
  for (std::size_t t = 0; t < tokens; ++t) {
    float* out = y + t * rows + begin;
#pragma omp simd
    for (std::size_t r = 0; r < count; ++r) out[r] += add[r];
  }
}

// Fused products have at most q, k and v.
constexpr std::size_t kMaxTargets = 4;

}  // namespace

void check_linear_target(const LinearTarget& target, std::size_t x_values, std::size_t tokens) {
  SWAN_CHECK(target.weight != nullptr, "linear: no weight");
  const WeightMatrix& weight = *target.weight;
  const std::size_t rows = weight.rows(), cols = weight.cols();
  SWAN_CHECK(x_values == tokens * cols, "{}: input has {} values, need {} x {}", weight.name(), x_values, tokens, cols);
  SWAN_CHECK(target.y.size() == tokens * rows, "{}: output has {} values, need {} x {}", weight.name(),
             target.y.size(), tokens, rows);
  SWAN_CHECK(target.bias.empty() || target.bias.size() == rows, "{}: bias has {} values, need {}", weight.name(),
             target.bias.size(), rows);
}

void linear_in_team(std::span<const LinearTarget> targets, std::span<const float> x, std::size_t tokens,
                    Accumulate accumulate) {
  SWAN_CHECK(targets.size() <= kMaxTargets, "linear_in_team: {} targets, at most {}", targets.size(), kMaxTargets);
  if (tokens == 0) return;
  const int threads = omp_get_num_threads();
  // Bands numbered across the targets: target i owns bands [first_band[i], first_band[i + 1]).
  std::array<std::size_t, kMaxTargets + 1> first_band{};
  std::array<std::size_t, kMaxTargets> band{};
  std::size_t step_rows = 0;
  for (const auto& target : targets) step_rows += target.weight->rows();
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const WeightMatrix& w = *targets[i].weight;
    band[i] = band_rows(step_rows, w.cols(), threads, std::max<std::size_t>(targets[i].band_multiple, 1));
    first_band[i + 1] = first_band[i] + (w.rows() + band[i] - 1) / band[i];
  }
  const std::size_t bands = first_band[targets.size()];
#pragma omp for schedule(dynamic, 1)
  for (std::size_t b = 0; b < bands; ++b) {
    std::size_t i = 0;
    while (b >= first_band[i + 1]) ++i;
    const std::size_t begin = (b - first_band[i]) * band[i];
    const std::size_t end = std::min(targets[i].weight->rows(), begin + band[i]);
    multiply_band(targets[i], begin, end, x, tokens, accumulate);
    if (targets[i].finish_band) targets[i].finish_band(begin, end);
  }
}

void gated_linear_in_team(const LinearTarget& gate, const LinearTarget& up, std::span<const float> x,
                          std::size_t tokens) {
  if (tokens == 0) return;
  const std::size_t rows = gate.weight->rows();
  SWAN_CHECK(up.weight->rows() == rows && up.weight->cols() == gate.weight->cols(), "{} and {} differ in shape",
             gate.weight->name(), up.weight->name());
  const std::size_t band = band_rows(rows, gate.weight->cols(), omp_get_num_threads(), 16);
  const std::size_t bands = (rows + band - 1) / band;
#pragma omp for schedule(dynamic, 1)
  for (std::size_t b = 0; b < bands; ++b) {
    const std::size_t begin = b * band;
    const std::size_t end = std::min(rows, begin + band);
    multiply_band(gate, begin, end, x, tokens, Accumulate::No);
    multiply_band(up, begin, end, x, tokens, Accumulate::No);
    for (std::size_t t = 0; t < tokens; ++t)
      swiglu_rows(gate.y.data() + t * rows + begin, up.y.data() + t * rows + begin, end - begin);
  }
}

void linear(const WeightMatrix& weight, std::span<const float> x, std::size_t tokens, std::span<float> y,
            std::span<const float> bias) {
  const LinearTarget target{&weight, y, bias};
  check_linear_target(target, x.size(), tokens);
  if (tokens == 0 || weight.rows() == 0) return;
  const bool parallel = tokens * weight.rows() * weight.cols() >= kTeamMinMultiplyAddsPerLayer;
#pragma omp parallel if (parallel)
  linear_in_team(std::span(&target, 1), x, tokens);
}

namespace {
std::mutex blas_guard_mutex;
int blas_guards = 0;          // guards alive
int blas_threads_before = 1;  // OpenBLAS's setting when the first of them started
}  // namespace

SingleThreadedBlas::SingleThreadedBlas() {
  const std::lock_guard lock(blas_guard_mutex);
  if (blas_guards++ > 0) return;
  blas_threads_before = openblas_get_num_threads();
  if (blas_threads_before != 1) openblas_set_num_threads(1);
}

SingleThreadedBlas::~SingleThreadedBlas() {
  const std::lock_guard lock(blas_guard_mutex);
  if (--blas_guards == 0 && blas_threads_before != 1) openblas_set_num_threads(blas_threads_before);
}

}  // namespace swan::inference
