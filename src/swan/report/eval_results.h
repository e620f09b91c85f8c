// Reading `swan eval kld --json` result files for the report, and deciding which of them can
// be compared: a result made against another base model (its base fingerprint differs from
// the report's model), on other tokens (tokens scored or base perplexity differ from the
// others'), or of a model whose size the file does not record, stays in the table with a
// note but is left off the chart. The Pareto front is over what is on the chart.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "swan/analysis/manifest.h"
#include "swan/report/report_data.h"

namespace swan::report {

struct EvalResult {
  EvalVariant variant;
  std::optional<double> ppl_base;
  std::optional<std::vector<analysis::FileFingerprint>> base_fingerprint;
  std::string base;  // the base model's path as the eval was given it
};

// `label` names the variant (the file name without ".json" when read from a file). Throws
// swan::Error naming `where` when the JSON is not a `swan eval kld --json` result.
EvalResult eval_result_from_json(const nlohmann::ordered_json& json, const std::string& label, const std::string& where);
EvalResult read_eval_result(const std::filesystem::path& path);

// Whether a JSON object looks like an eval kld result (has "kld_mean").
bool is_eval_result(const nlohmann::ordered_json& json);

// Flags and marks the variants (see the file comment). `model_fingerprint`: the report's
// model, when known. Returns the variants in ascending bits/weight (unknown sizes last,
// then by label), deterministic for any input order.
std::vector<EvalVariant> compare_variants(std::vector<EvalResult> results,
                                          const std::optional<std::vector<analysis::FileFingerprint>>& model_fingerprint,
                                          const std::string& model_name);

// Marks `pareto` on the variants on the chart that no other variant on the chart beats in
// both bits/weight and mean KLD (ties count as not beaten).
void mark_pareto_front(std::vector<EvalVariant>& variants);

}  // namespace swan::report
