#include "swan/eval/runner.h"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>

#include "swan/core/error.h"
#include "swan/gguf/inspect.h"
#include "swan/gguf/tokenizer_from_metadata.h"
#include "swan/core/progress.h"
#include "swan/eval/base_logits_file.h"
#include "swan/io/atomic_file.h"
#include "swan/eval/eval_text.h"
#include "swan/eval/evaluation.h"
#include "swan/inference/linear.h"
#include "swan/inference/model.h"

namespace swan::eval {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void apply_threads(int threads) {
  if (threads < 0) fail("--threads {} is negative: give a positive count or 0 for all cores", threads);
  if (threads > 0) omp_set_num_threads(threads);
}

bool has_tokenizer_files(const std::filesystem::path& dir) {
  return std::filesystem::exists(dir / "tokenizer.json") || std::filesystem::exists(dir / "tokenizer.model");
}

bool is_gguf_file(const std::filesystem::path& path) {
  return std::filesystem::is_regular_file(path) && gguf::looks_like_gguf(path);
}

// A model's own tokenizer: an HF/MLX directory's tokenizer files, or the keys a GGUF file carries.
std::unique_ptr<Tokenizer> own_tokenizer(const std::filesystem::path& model) {
  return is_gguf_file(model) ? gguf::load_gguf_tokenizer(model) : load_tokenizer(model);
}

void check_token_ids(const std::vector<std::int32_t>& tokens, std::size_t vocab_size,
                     const std::filesystem::path& model_dir) {
  const auto largest = std::max_element(tokens.begin(), tokens.end());
  if (largest != tokens.end() && (*largest < 0 || static_cast<std::size_t>(*largest) >= vocab_size)) {
    fail("the tokenizer of {} produced token id {}, outside the model's vocabulary of {}: tokenizer and model do "
         "not belong together",
         model_dir.string(), *largest, vocab_size);
  }
}

// Full attention equals the model's sliding-window attention only within the window.
void check_context(const ChunkPlan& plan, const inference::Model& model, const std::filesystem::path& model_dir) {
  const auto& window = model.config().sliding_window;
  if (window && plan.ctx > static_cast<std::size_t>(*window))
    fail("--ctx {} is longer than the sliding_window of {} ({} tokens): swan computes full attention, which "
         "equals the model's windowed attention only within the window; use --ctx {} or less",
         plan.ctx, model_dir.string(), *window, *window);
}

ForwardFn forward_of(const inference::Model& model) {
  return [&model](std::span<const std::int32_t> tokens, inference::LogitRows rows) { return model.forward(tokens, rows); };
}

}  // namespace

PerplexityReport run_perplexity(const std::filesystem::path& model_dir, const std::filesystem::path& text_path,
                                const RunSettings& settings) {
  const auto start = Clock::now();
  apply_threads(settings.threads);
  const std::string text = read_eval_text(text_path);
  if (!settings.tokenizer_dir && !has_tokenizer_files(model_dir) && !is_gguf_file(model_dir))
    fail("{} has no tokenizer files: give --tokenizer DIR, the HF directory it was made from", model_dir.string());
  const auto tokenizer = settings.tokenizer_dir ? load_tokenizer(*settings.tokenizer_dir) : own_tokenizer(model_dir);
  const EvalTokens tokens = tokenize_eval_text(*tokenizer, text);
  const ChunkPlan plan = plan_chunks(tokens.tokens.size(), settings.ctx.value_or(kDefaultContext), settings.chunks);
  const auto model = inference::Model::load(model_dir);
  check_context(plan, model, model_dir);
  check_token_ids(tokens.tokens, model.vocab_size(), model_dir);

  Progress progress("ppl", plan.tokens_covered(), "tokens", settings.progress);
  const EvalInput input{tokens.tokens, plan, tokens.bos, model.vocab_size()};
  PerplexityReport report;
  report.plan = plan;
  const auto evaluation_start = Clock::now();
  // Chunks run concurrently, one per thread (evaluation.h says why). BLAS stays on the
  // calling threads for the whole evaluation, so no forward pass toggles it under another.
  const inference::SingleThreadedBlas single_threaded_blas;
  report.result = evaluate_perplexity(
      input, forward_of(model), [&](std::size_t done) { progress.update(done * plan.ctx); }, omp_get_max_threads());
  report.evaluation_seconds = seconds_since(evaluation_start);
  progress.finish();
  report.seconds = seconds_since(start);
  return report;
}

KldReport run_kl_divergence(const KldRun& run, const RunSettings& settings) {
  const auto start = Clock::now();
  apply_threads(settings.threads);
  if (!run.base_dir && !run.base_logits) fail("KL-divergence needs a BASE model directory or --base-logits FILE");
  if (run.save_base && run.base_logits) {
    fail("--save-base and --base-logits exclude each other: save while running the base, reuse afterwards");
  }
  {
    std::vector<std::filesystem::path> inputs{run.text_path, run.model_dir};
    if (run.base_dir) inputs.push_back(*run.base_dir);
    if (run.base_logits) inputs.push_back(*run.base_logits);
    if (run.paired) inputs.push_back(*run.paired);
    if (settings.tokenizer_dir) inputs.push_back(*settings.tokenizer_dir);
    if (run.save_base) require_output_apart_from_inputs(*run.save_base, inputs, "--save-base's log-probabilities");
    if (run.save_scores) require_output_apart_from_inputs(*run.save_scores, inputs, "--save-scores' token scores");
    if (run.save_base && run.save_scores && std::filesystem::absolute(*run.save_base).lexically_normal() ==
                                                std::filesystem::absolute(*run.save_scores).lexically_normal()) {
      fail("--save-base and --save-scores name the same file {}: give each its own", run.save_base->string());
    }
  }
  // Read before the long evaluation, so a wrong file fails at once.
  std::optional<TokenScores> paired_scores;
  if (run.paired) paired_scores = read_token_scores(*run.paired);
  const std::string text = read_eval_text(run.text_path);

  // The text is tokenized with the model's tokenizer; a quantized directory without tokenizer
  // files borrows the base's. When both have one they must agree on every token.
  std::unique_ptr<Tokenizer> tokenizer;
  if (settings.tokenizer_dir) {
    tokenizer = load_tokenizer(*settings.tokenizer_dir);
  } else if (has_tokenizer_files(run.model_dir) || !run.base_dir) {
    tokenizer = own_tokenizer(run.model_dir);
  } else if (!has_tokenizer_files(*run.base_dir) && is_gguf_file(run.model_dir)) {
    tokenizer = own_tokenizer(run.model_dir);  // neither has tokenizer files: the GGUF file's keys
  } else if (is_gguf_file(*run.base_dir)) {
    tokenizer = own_tokenizer(*run.base_dir);
  } else {
    fmt::print(stderr, "swan: note: {} has no tokenizer files; using the tokenizer of {}\n", run.model_dir.string(),
               run.base_dir->string());
    tokenizer = load_tokenizer(*run.base_dir);
  }
  const EvalTokens tokens = tokenize_eval_text(*tokenizer, text);
  if (!settings.tokenizer_dir && run.base_dir && has_tokenizer_files(*run.base_dir) && has_tokenizer_files(run.model_dir)) {
    const EvalTokens base_tokens = tokenize_eval_text(*load_tokenizer(*run.base_dir), text);
    if (base_tokens.tokens != tokens.tokens || base_tokens.bos != tokens.bos) {
      const auto mismatch = std::mismatch(base_tokens.tokens.begin(), base_tokens.tokens.end(), tokens.tokens.begin(),
                                          tokens.tokens.end());
      fail("{} and {} tokenize the text differently ({} vs {} tokens, first difference at token {}): KL-divergence "
           "compares distributions over the same tokens, so both models need the same tokenizer",
           run.base_dir->string(), run.model_dir.string(), base_tokens.tokens.size(), tokens.tokens.size(),
           mismatch.first - base_tokens.tokens.begin());
    }
  }

  std::optional<BaseLogitsReader> reader;
  std::optional<std::size_t> ctx = settings.ctx, chunks = settings.chunks;
  if (run.base_logits) {
    reader.emplace(*run.base_logits);
    if (!ctx) ctx = reader->header().ctx;
    if (!chunks) chunks = reader->header().chunk_count;
  }
  const ChunkPlan plan = plan_chunks(tokens.tokens.size(), ctx.value_or(kDefaultContext), chunks);

  const auto model = inference::Model::load(run.model_dir);
  check_context(plan, model, run.model_dir);
  check_token_ids(tokens.tokens, model.vocab_size(), run.model_dir);
  const BaseLogitsHeader header = make_base_logits_header(tokens.tokens, plan, model.vocab_size(), tokens.bos.value_or(-1));

  std::optional<inference::Model> base;
  BaseLogProbsFn base_source;
  ForwardFn model_forward = forward_of(model);
  // Both MoE and run side by side: each chunk's routings are compared (the base runs first).
  RoutingFlipCounter flips;
  std::vector<inference::LayerRouting> base_routing, model_routing;
  if (paired_scores) {
    check_same_evaluation(paired_scores->evaluation, header, run.paired->string(),
                          "evaluate the other model on this text, --ctx and --chunks with --save-scores");
  }
  if (reader) {
    reader->check_matches(header);
    base_source = base_from_file(*reader);
  } else {
    base.emplace(inference::Model::load(*run.base_dir));
    check_context(plan, *base, *run.base_dir);
    if (base->vocab_size() != model.vocab_size()) {
      fail("{} has a vocabulary of {} tokens and {} of {}: KL-divergence needs the same vocabulary",
           run.base_dir->string(), base->vocab_size(), run.model_dir.string(), model.vocab_size());
    }
    if (base->config().is_moe() && model.config().is_moe()) {
      const auto k = static_cast<std::size_t>(model.config().moe.experts_per_token);
      base_source = base_from_model(
          [&](std::span<const std::int32_t> t, inference::LogitRows rows) {
            return base->forward(t, nullptr, &base_routing, rows);
          },
          plan,
          model.vocab_size());
      model_forward = [&, k](std::span<const std::int32_t> t, inference::LogitRows rows) {
        auto logits = model.forward(t, nullptr, &model_routing, rows);
        flips.add(base_routing, model_routing, k);
        return logits;
      };
    } else {
      base_source = base_from_model(forward_of(*base), plan, model.vocab_size());
    }
  }
  std::optional<BaseLogitsWriter> writer;
  if (run.save_base) writer.emplace(*run.save_base, header);

  Progress progress("kld", plan.tokens_covered(), "tokens", settings.progress);
  const EvalInput input{tokens.tokens, plan, tokens.bos, model.vocab_size()};
  KldReport report;
  report.plan = plan;
  TokenScores scores{header, {}};
  report.summary = evaluate_kl_divergence(input, base_source, model_forward, writer ? &*writer : nullptr,
                                          [&](std::size_t done) { progress.update(done * plan.ctx); },
                                          &scores.scores);
  report.expert_set_changes = flips.layers();
  progress.finish();
  if (paired_scores) report.paired = compare_paired(scores.scores, paired_scores->scores);
  if (writer) writer->commit();
  if (run.save_scores) write_token_scores(*run.save_scores, scores);
  report.seconds = seconds_since(start);
  return report;
}

}  // namespace swan::eval
