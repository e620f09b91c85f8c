// Log-softmax and negative log-likelihood of one row of logits. The shared numerical kernel
// of perplexity and KL-divergence; pure functions on spans, no I/O, no threads.
//
// Numerics: the maximum is subtracted first (so exp never overflows) and exp/sum/log run in
// float64, then each log-probability is rounded once to float32. Rounding once matters for
// KL-divergence: two identical logit rows always give bit-identical log-probabilities, so
// KLD(model, model) is exactly 0, and base log-probs read back from a file equal the ones
// computed in memory.
#pragma once

#include <cstdint>
#include <span>

namespace swan::eval {

// log Σ_i exp(logits[i]), computed as max + log Σ exp(logits[i] - max) in float64.
// Throws swan::Error for an empty row or one with NaN / +inf (a broken forward pass).
double log_sum_exp(std::span<const float> logits);

// out[i] = logits[i] - log_sum_exp(logits), rounded to float32. `out` must have the size
// of `logits` (it may alias it).
void log_softmax(std::span<const float> logits, std::span<float> out);

// -log p(target) = log_sum_exp(logits) - logits[target], in float64 (no float32 rounding:
// perplexity uses this directly, as llama.cpp does).
double negative_log_likelihood(std::span<const float> logits, std::int32_t target);

// Index of the largest value; the first one on ties.
std::size_t argmax(std::span<const float> values);

}  // namespace swan::eval
