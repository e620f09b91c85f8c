// Per-token scores of one `swan eval kld` run, and the paired comparison of two runs.
//
// Two quantizations of one model are usually compared by their mean KLDs, each ± its own
// standard error. That overstates the uncertainty of their *difference*: both are measured
// on the same tokens, and a token that is hard for one is hard for the other, so the two
// per-token KLDs are strongly correlated. `--save-scores FILE` keeps every scored token's
// KLD and both NLLs; `--paired FILE` then reports, for this run's model against the other's,
//   kld_difference = mean(kld_this - kld_other) ± sqrt(var_this + var_other - 2 cov)
// (variances and covariance of the two means: the standard error of the mean per-token
// difference, as llama.cpp pairs its PPL ratio), the ratio of the means
// with its delta-method error, and the same paired difference of the NLLs (ln PPL ratio).
// Pairing requires the same tokens under the same base distribution: every token's base NLL
// must be bitwise equal in both runs, which also catches another base model or text.
//
// File layout (version 1, little-endian):
//   offset  size  field
//        0     8  magic "SWANTKS\0"
//        8     4  u32 version = 1
//       12     4  u32 header size = 64
//       16     4  u32 vocab_size, 20 u32 ctx, 24 u32 chunk_count, 28 u32 scored_per_chunk
//       32     4  u32 reserved (0), 36 i32 bos_id (-1: none) — the identity fields sit where the
//                 base-logit file has them (store_evaluation_fields)
//       40     8  u64 token_count (tokens of the whole text), 48 u64 tokens_hash (as the
//                 base-logit file: FNV-1a 64 of the evaluated token ids)
//       56     8  u64 score_count = chunk_count x scored_per_chunk
//       64     …  score_count records of three float64: kld, nll_base, nll_model
// The size must be exactly 64 + 24 x score_count. Written atomically (temporary + rename).
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

#include "swan/eval/base_logits_file.h"

namespace swan::eval {

struct TokenScore {
  double kld = 0.0;
  double nll_base = 0.0;
  double nll_model = 0.0;
};

struct TokenScores {
  BaseLogitsHeader evaluation;  // which tokens, chunks and vocabulary they score
  std::vector<TokenScore> scores;
};

void write_token_scores(const std::filesystem::path& path, const TokenScores& scores);
// Throws swan::Error naming the file for a foreign, truncated or inconsistent file.
TokenScores read_token_scores(const std::filesystem::path& path);
// The same from the file's bytes (`where` names them in errors).
TokenScores parse_token_scores(std::string_view bytes, std::string_view where);

// This run's model against the other run's, token by token.
struct PairedComparison {
  std::size_t tokens = 0;
  double kld_mean = 0.0, other_kld_mean = 0.0;
  double kld_difference = 0.0, kld_difference_stderr = 0.0;  // mean(kld - other)
  double kld_ratio = 0.0, kld_ratio_stderr = 0.0;            // mean(kld) / mean(other), delta method
  double nll_difference = 0.0, nll_difference_stderr = 0.0;  // ln(PPL / PPL_other)
};

// Throws swan::Error (what differs, what to do) unless both score the same tokens under the
// same base: same count and bitwise-equal base NLLs.
PairedComparison compare_paired(std::span<const TokenScore> scores, std::span<const TokenScore> other);

}  // namespace swan::eval
