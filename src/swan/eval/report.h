// How `swan eval` presents its results: a human-readable block and a JSON object whose field
// names are part of swan's interface (scripts compare runs with them; see `swan eval --help`).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "swan/eval/runner.h"

namespace swan::eval {

// "PPL = 3.8232 ± 0.0969" and what was scored.
std::string perplexity_text(const PerplexityReport& report);
// ppl, ppl_stderr, tokens_scored, chunks, ctx.
nlohmann::ordered_json perplexity_json(const PerplexityReport& report);

std::string kl_divergence_text(const KldReport& report);
// The perplexity fields (ppl = the model's) plus ppl_base(_stderr), ppl_model(_stderr),
// ln_ppl_ratio(_stderr), kld_mean, kld_stderr, kld_median, kld_p90, kld_p95, kld_p99, kld_p999,
// kld_max, top1_agreement(_stderr) (percent); for MoE models run side by side also
// expert_set_changed: [{layer, fraction, tokens}] (fraction of tokens, 0..1); with --paired
// also paired: {tokens, other_kld_mean, kld_difference(_stderr), kld_ratio(_stderr),
// ln_ppl_ratio(_stderr)} (this model against the other run's).
nlohmann::ordered_json kl_divergence_json(const KldReport& report);

}  // namespace swan::eval
