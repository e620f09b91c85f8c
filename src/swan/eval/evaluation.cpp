#include "swan/eval/evaluation.h"

#include <algorithm>
#include <atomic>
#include <exception>

#include "swan/core/error.h"
#include "swan/core/parallel_for.h"
#include "swan/eval/log_softmax.h"

namespace swan::eval {
namespace {

// The logits of the chunk's scored rows.
std::vector<float> run_forward(const ForwardFn& forward, std::span<const std::int32_t> input, const ChunkPlan& plan,
                               std::size_t vocab_size) {
  std::vector<float> logits = forward(input, scored_rows(plan));
  if (logits.size() != plan.scored_per_chunk() * vocab_size) {
    fail("the forward pass returned {} logits for the {} scored rows of a chunk of {} tokens, expected {} per row "
         "(vocabulary size)",
         logits.size(), plan.scored_per_chunk(), input.size(), vocab_size);
  }
  return logits;
}

std::span<const float> row(std::span<const float> matrix, std::size_t index, std::size_t width) {
  return matrix.subspan(index * width, width);
}

// body(i) for i in [0, count) on OpenMP threads, each row `width` wide. Small work stays on one
// thread (waking a team costs more than a few thousand exp() calls).
template <typename Body>
void parallel_rows(std::size_t count, std::size_t width, const Body& body) {
  const bool parallel = count * width >= (std::size_t{1} << 16);
  parallel_for(count, parallel ? omp_get_max_threads() : 1, body);
}

}  // namespace

PerplexityResult evaluate_perplexity(const EvalInput& input, const ForwardFn& model, const ChunkDoneFn& on_chunk,
                                     int concurrent_chunks) {
  const ChunkPlan& plan = input.plan;
  const std::size_t scored = plan.scored_per_chunk();
  // The NLLs of one chunk's scored tokens, rows on the team (sequential chunks) or on the
  // calling thread alone (concurrent chunks).
  const auto chunk_nll = [&](std::size_t chunk, std::span<double> nll, bool rows_in_parallel) {
    const auto tokens = chunk_input(input.tokens, plan, chunk, input.bos);
    const auto logits = run_forward(model, tokens, plan, input.vocab_size);
    const auto score = [&](std::size_t r) {
      nll[r] = negative_log_likelihood(row(logits, r, input.vocab_size),
                                       scored_target(input.tokens, plan, chunk, plan.first_scored_row() + r));
    };
    if (rows_in_parallel) {
      parallel_rows(scored, input.vocab_size, score);
    } else {
      for (std::size_t r = 0; r < scored; ++r) score(r);
    }
  };
  PerplexityAccumulator accumulator;
  const auto teams = static_cast<int>(std::min<std::size_t>(plan.chunk_count, std::max(concurrent_chunks, 1)));
  if (teams <= 1) {
    std::vector<double> nll(scored);
    for (std::size_t chunk = 0; chunk < plan.chunk_count; ++chunk) {
      chunk_nll(chunk, nll, true);
      // Rows summed in order, so the result does not depend on threads.
      for (double value : nll) accumulator.add(value);
      if (on_chunk) on_chunk(chunk + 1);
    }
    return accumulator.result();
  }

  std::vector<double> nll(plan.chunk_count * scored);
  std::exception_ptr error;
  std::atomic<bool> failed = false;
  std::size_t finished = 0;
  const auto chunks = static_cast<std::ptrdiff_t>(plan.chunk_count);
#pragma omp parallel for schedule(dynamic, 1) num_threads(teams)
  for (std::ptrdiff_t c = 0; c < chunks; ++c) {
    if (failed) continue;
    try {
      const auto chunk = static_cast<std::size_t>(c);
      chunk_nll(chunk, std::span(nll).subspan(chunk * scored, scored), false);
#pragma omp critical(swan_eval_chunk_done)
      {
        ++finished;
        if (on_chunk) on_chunk(finished);
      }
    } catch (...) {
#pragma omp critical(swan_eval_row_error)
      if (!error) error = std::current_exception();
      failed = true;
    }
  }
  if (error) std::rethrow_exception(error);
  for (double value : nll) accumulator.add(value);  // chunk order, whatever the finishing order
  return accumulator.result();
}

inference::LogitRows scored_rows(const ChunkPlan& plan) {
  return {plan.first_scored_row(), plan.first_scored_row() + plan.scored_per_chunk()};
}

void scored_log_probs(std::span<const float> scored_logits, const ChunkPlan& plan, std::size_t vocab_size,
                      std::span<float> out) {
  SWAN_CHECK(scored_logits.size() == plan.scored_per_chunk() * vocab_size, "{} logits for {} scored rows of {}",
             scored_logits.size(), plan.scored_per_chunk(), vocab_size);
  SWAN_CHECK(out.size() == scored_logits.size(), "{} outputs for {} scored rows of {}", out.size(),
             plan.scored_per_chunk(), vocab_size);
  parallel_rows(plan.scored_per_chunk(), vocab_size, [&](std::size_t r) {
    log_softmax(row(scored_logits, r, vocab_size), out.subspan(r * vocab_size, vocab_size));
  });
}

BaseLogProbsFn base_from_model(ForwardFn forward, const ChunkPlan& plan, std::size_t vocab_size) {
  return [forward = std::move(forward), plan, vocab_size](std::size_t, std::span<const std::int32_t> input,
                                                          std::span<float> out) {
    const auto logits = run_forward(forward, input, plan, vocab_size);
    scored_log_probs(logits, plan, vocab_size, out);
  };
}

BaseLogProbsFn base_from_file(BaseLogitsReader& reader) {
  return [&reader](std::size_t chunk, std::span<const std::int32_t>, std::span<float> out) {
    reader.read_chunk(chunk, out);
  };
}

KldSummary evaluate_kl_divergence(const EvalInput& input, const BaseLogProbsFn& base, const ForwardFn& model,
                                  BaseLogitsWriter* save, const ChunkDoneFn& on_chunk,
                                  std::vector<TokenScore>* token_scores) {
  const ChunkPlan& plan = input.plan;
  const std::size_t vocab = input.vocab_size;
  const std::size_t rows = plan.scored_per_chunk();
  std::vector<float> base_log_probs(rows * vocab);
  std::vector<float> model_log_probs(rows * vocab);
  std::vector<TokenComparison> tokens(rows);
  KldAccumulator accumulator;
  for (std::size_t chunk = 0; chunk < plan.chunk_count; ++chunk) {
    const auto chunk_tokens = chunk_input(input.tokens, plan, chunk, input.bos);
    base(chunk, chunk_tokens, base_log_probs);
    if (save) save->write_chunk(base_log_probs);
    scored_log_probs(run_forward(model, chunk_tokens, plan, vocab), plan, vocab, model_log_probs);
    const std::span<const float> base_view(base_log_probs), model_view(model_log_probs);
    parallel_rows(rows, vocab, [&](std::size_t r) {
      tokens[r] = compare_token(row(base_view, r, vocab), row(model_view, r, vocab),
                                scored_target(input.tokens, plan, chunk, plan.first_scored_row() + r));
    });
    for (const auto& token : tokens) accumulator.add(token);
    if (on_chunk) on_chunk(chunk + 1);
  }
  if (token_scores) token_scores->assign(accumulator.token_scores().begin(), accumulator.token_scores().end());
  return accumulator.summary();
}

}  // namespace swan::eval
