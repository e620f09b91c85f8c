// `swan eval ppl` and `swan eval kld` end to end: read the text, load tokenizer(s) and
// model(s), check they are comparable, plan the chunks and run the evaluation loops with a
// progress line. Everything the CLI does beyond parsing flags and printing.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>

#include "swan/eval/chunking.h"
#include "swan/eval/kl_divergence.h"
#include "swan/eval/perplexity.h"
#include "swan/eval/routing_flips.h"
#include "swan/eval/token_scores.h"

namespace swan::eval {

struct RunSettings {
  std::optional<std::size_t> ctx;     // default 512 (or, for --base-logits, the file's)
  std::optional<std::size_t> chunks;  // default: all (or, for --base-logits, the file's)
  int threads = 0;                    // 0: OpenMP's default
  // Tokenize with this HF directory's tokenizer instead of the model's own files (a GGUF
  // model carries its vocabulary but swan tokenizes with the HF tokenizer it came from).
  std::optional<std::filesystem::path> tokenizer_dir;
  bool progress = true;               // progress line on stderr (only when it is a terminal)
};

inline constexpr std::size_t kDefaultContext = 512;

struct PerplexityReport {
  ChunkPlan plan;
  PerplexityResult result;
  double seconds = 0;             // the whole run: reading, tokenizing, loading, evaluating
  double evaluation_seconds = 0;  // the chunks' forward passes and scoring only
};

PerplexityReport run_perplexity(const std::filesystem::path& model_dir, const std::filesystem::path& text_path,
                                const RunSettings& settings);

struct KldRun {
  std::optional<std::filesystem::path> base_dir{};  // required unless base_logits is given
  std::filesystem::path model_dir{};
  std::filesystem::path text_path{};
  std::optional<std::filesystem::path> save_base{};  // write the base log-probs here
  std::optional<std::filesystem::path> base_logits{};  // read them from here instead of running the base
  std::optional<std::filesystem::path> save_scores{};  // write every scored token's KLD and NLLs here
  std::optional<std::filesystem::path> paired{};       // compare token by token with that run's scores
};

struct KldReport {
  ChunkPlan plan;
  KldSummary summary;
  // MoE models run side by side (not with --base-logits): per MoE layer, the tokens whose
  // expert set changed. Empty otherwise.
  std::vector<LayerFlips> expert_set_changes;
  // With KldRun::paired: this model against the other run's, on the same tokens.
  std::optional<PairedComparison> paired;
  double seconds = 0;
};

KldReport run_kl_divergence(const KldRun& run, const RunSettings& settings);

}  // namespace swan::eval
