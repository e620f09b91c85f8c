// The evaluation loops: run the chunks of a tokenized text (chunking.h) through a forward
// pass and accumulate perplexity or KL-divergence. The forward pass is a callback, so these
// loops are tested with synthetic "models" and know nothing about weights or tokenizers.
//
// Memory: one chunk's logits (ctx × vocab floats) per model at a time, plus a few scalars per
// scored token; never the whole text's logits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "swan/eval/base_logits_file.h"
#include "swan/eval/chunking.h"
#include "swan/eval/kl_divergence.h"
#include "swan/eval/perplexity.h"
#include "swan/inference/logit_rows.h"

namespace swan::eval {

// Logits [rows' count, vocab] of the rows `rows` (row t predicts token t+1) for a sequence
// from position 0. The loops ask only for the scored rows (chunking.h): the output projection
// of the others would be wasted work.
using ForwardFn =
    std::function<std::vector<float>(std::span<const std::int32_t> tokens, inference::LogitRows rows)>;
// Told after each chunk how many chunks are done.
using ChunkDoneFn = std::function<void(std::size_t chunks_done)>;

struct EvalInput {
  std::span<const std::int32_t> tokens;  // the whole tokenized text
  ChunkPlan plan;
  std::optional<std::int32_t> bos;  // replaces each chunk's first token when set
  std::size_t vocab_size = 0;       // logits per row
};

// With concurrent_chunks > 1, up to that many chunks are evaluated at once on OpenMP threads,
// each chunk's forward pass on its one thread (nested regions stay inactive): chunks share
// nothing, so no thread ever waits at a barrier for one the OS has descheduled (on a loaded
// machine a forward pass's per-step barriers cost up to a time slice each), and the result is
// the same for any concurrency (each chunk is computed alike, all are summed in chunk order).
// `model` must then be safe to call from several threads at once; on_chunk is called under a
// lock with the number of chunks finished so far.
PerplexityResult evaluate_perplexity(const EvalInput& input, const ForwardFn& model, const ChunkDoneFn& on_chunk = {},
                                     int concurrent_chunks = 1);

// The rows of a chunk's logits that are scored: first_scored_row() … ctx-2.
inference::LogitRows scored_rows(const ChunkPlan& plan);

// Log-softmax of the scored rows of one chunk (scored_logits: scored_per_chunk × vocab, as
// the forward pass returns them for scored_rows()), written row-major to `out` (same size).
void scored_log_probs(std::span<const float> scored_logits, const ChunkPlan& plan, std::size_t vocab_size,
                      std::span<float> out);

// Where the base distribution of a chunk comes from: fills `out` (scored_per_chunk × vocab)
// given the chunk's index and its input tokens.
using BaseLogProbsFn =
    std::function<void(std::size_t chunk, std::span<const std::int32_t> input, std::span<float> out)>;
// Runs the base model.
BaseLogProbsFn base_from_model(ForwardFn forward, const ChunkPlan& plan, std::size_t vocab_size);
// Reads a --save-base file (already checked against this run with check_matches()).
BaseLogProbsFn base_from_file(BaseLogitsReader& reader);

// KL-divergence of `model` from the base. When `save` is given, every chunk's base log-probs
// are appended to it (the caller commits it); `token_scores` receives every scored token's
// KLD and NLLs in order.
KldSummary evaluate_kl_divergence(const EvalInput& input, const BaseLogProbsFn& base, const ForwardFn& model,
                                  BaseLogitsWriter* save = nullptr, const ChunkDoneFn& on_chunk = {},
                                  std::vector<TokenScore>* token_scores = nullptr);

}  // namespace swan::eval
