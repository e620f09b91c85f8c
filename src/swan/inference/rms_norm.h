// RMSNorm as Llama / Qwen define it: y = weight * (x / sqrt(mean(x^2) + eps)), computed in
// float32 with the mean of squares accumulated in double (row lengths reach 8192).
#pragma once

#include <cstddef>
#include <span>

namespace swan::inference {

// Normalises each of the `x.size() / weight.size()` rows of `x` into `out` (may alias `x`).
// Used for the hidden state ([tokens, hidden]) and, with head_dim-sized rows, for Qwen3's
// per-head q_norm / k_norm. In its own parallel region when the data is large.
void rms_norm(std::span<const float> x, std::span<const float> weight, float eps, std::span<float> out);

// The same as a team kernel (team.h): rows shared among the threads.
void rms_norm_in_team(std::span<const float> x, std::span<const float> weight, float eps, std::span<float> out);

// One row of `width` values (the loop body of both; for kernels that fuse it with more work).
void rms_norm_row(const float* x, const float* weight, std::size_t width, float eps, float* out);

}  // namespace swan::inference
