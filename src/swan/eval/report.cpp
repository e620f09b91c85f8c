#include "swan/eval/report.h"

#include <fmt/format.h>

#include "swan/core/progress.h"

namespace swan::eval {
namespace {

std::string scored_line(const ChunkPlan& plan, std::size_t tokens_scored) {
  return fmt::format("{} tokens scored ({} chunks × {}, ctx {})", tokens_scored, plan.chunk_count,
                     plan.scored_per_chunk(), plan.ctx);
}

}  // namespace

std::string perplexity_text(const PerplexityReport& report) {
  const auto& r = report.result;
  return fmt::format("PPL = {:.4f} ± {:.4f}\n{}, {}\n", r.ppl, r.ppl_stderr, scored_line(report.plan, r.tokens_scored),
                     format_duration(report.seconds));
}

nlohmann::ordered_json perplexity_json(const PerplexityReport& report) {
  nlohmann::ordered_json json;
  json["ppl"] = report.result.ppl;
  json["ppl_stderr"] = report.result.ppl_stderr;
  json["tokens_scored"] = report.result.tokens_scored;
  json["chunks"] = report.plan.chunk_count;
  json["ctx"] = report.plan.ctx;
  json["seconds"] = report.seconds;
  json["evaluation_seconds"] = report.evaluation_seconds;
  json["tokens_per_second"] = report.evaluation_seconds > 0
                                  ? static_cast<double>(report.plan.tokens_covered()) / report.evaluation_seconds
                                  : 0.0;
  return json;
}

std::string kl_divergence_text(const KldReport& report) {
  const auto& s = report.summary;
  std::string out;
  out += fmt::format("{}, {}\n", scored_line(report.plan, s.tokens_scored), format_duration(report.seconds));
  out += fmt::format("PPL(base)          = {:.4f} ± {:.4f}\n", s.ppl_base, s.ppl_base_stderr);
  out += fmt::format("PPL(model)         = {:.4f} ± {:.4f}\n", s.ppl_model, s.ppl_model_stderr);
  out += fmt::format("ln(PPL model/base) = {:.5g} ± {:.5g}\n", s.ln_ppl_ratio, s.ln_ppl_ratio_stderr);
  out += fmt::format("KLD mean           = {:.5g} ± {:.5g}\n", s.kld_mean, s.kld_stderr);
  out += fmt::format("KLD median         = {:.5g}\n", s.kld_median);
  out += fmt::format("KLD p90            = {:.5g}\n", s.kld_p90);
  out += fmt::format("KLD p95            = {:.5g}\n", s.kld_p95);
  out += fmt::format("KLD p99            = {:.5g}\n", s.kld_p99);
  out += fmt::format("KLD p99.9          = {:.5g}\n", s.kld_p999);
  out += fmt::format("KLD max            = {:.5g}\n", s.kld_max);
  out += fmt::format("top-1 agreement    = {:.3f} ± {:.3f} %\n", s.top1_agreement, s.top1_agreement_stderr);
  for (const auto& layer : report.expert_set_changes)
    out += fmt::format("experts changed, layer {:<3} = {:.3f} % of {} tokens\n", layer.layer, 100.0 * layer.fraction(),
                       layer.tokens);
  if (const auto& p = report.paired) {
    // "2.1 standard errors": how far the difference is from none, in its own error bars.
    const double z = p->kld_difference_stderr > 0 ? p->kld_difference / p->kld_difference_stderr : 0.0;
    out += fmt::format("paired with the other run, same {} tokens (this model - other):\n", p->tokens);
    out += fmt::format("  KLD mean, other  = {:.5g}\n", p->other_kld_mean);
    out += fmt::format("  KLD difference   = {:.5g} ± {:.5g} ({:+.1f} standard errors)\n", p->kld_difference,
                       p->kld_difference_stderr, z);
    out += fmt::format("  KLD ratio        = {:.4f} ± {:.4f}\n", p->kld_ratio, p->kld_ratio_stderr);
    out += fmt::format("  ln(PPL / other)  = {:.5g} ± {:.5g}\n", p->nll_difference, p->nll_difference_stderr);
  }
  return out;
}

nlohmann::ordered_json kl_divergence_json(const KldReport& report) {
  const auto& s = report.summary;
  nlohmann::ordered_json json;
  json["ppl"] = s.ppl_model;
  json["ppl_stderr"] = s.ppl_model_stderr;
  json["tokens_scored"] = s.tokens_scored;
  json["chunks"] = report.plan.chunk_count;
  json["ctx"] = report.plan.ctx;
  json["ppl_base"] = s.ppl_base;
  json["ppl_base_stderr"] = s.ppl_base_stderr;
  json["ppl_model"] = s.ppl_model;
  json["ppl_model_stderr"] = s.ppl_model_stderr;
  json["ln_ppl_ratio"] = s.ln_ppl_ratio;
  json["ln_ppl_ratio_stderr"] = s.ln_ppl_ratio_stderr;
  json["kld_mean"] = s.kld_mean;
  json["kld_stderr"] = s.kld_stderr;
  json["kld_median"] = s.kld_median;
  json["kld_p90"] = s.kld_p90;
  json["kld_p95"] = s.kld_p95;
  json["kld_p99"] = s.kld_p99;
  json["kld_p999"] = s.kld_p999;
  json["kld_max"] = s.kld_max;
  json["top1_agreement"] = s.top1_agreement;
  json["top1_agreement_stderr"] = s.top1_agreement_stderr;
  if (!report.expert_set_changes.empty()) {
    json["expert_set_changed"] = nlohmann::ordered_json::array();
    for (const auto& layer : report.expert_set_changes)
      json["expert_set_changed"].push_back(
          {{"layer", layer.layer}, {"fraction", layer.fraction()}, {"tokens", layer.tokens}});
  }
  if (const auto& p = report.paired) {
    json["paired"] = {{"tokens", p->tokens},
                      {"other_kld_mean", p->other_kld_mean},
                      {"kld_difference", p->kld_difference},
                      {"kld_difference_stderr", p->kld_difference_stderr},
                      {"kld_ratio", p->kld_ratio},
                      {"kld_ratio_stderr", p->kld_ratio_stderr},
                      {"ln_ppl_ratio", p->nll_difference},
                      {"ln_ppl_ratio_stderr", p->nll_difference_stderr}};
  }
  return json;
}

}  // namespace swan::eval
