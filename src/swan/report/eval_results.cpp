#include "swan/report/eval_results.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "swan/core/error.h"
#include "swan/io/json_reader.h"

namespace swan::report {

namespace {

std::optional<double> number(const nlohmann::ordered_json& json, const char* key) {
  const auto it = json.find(key);
  if (it == json.end() || !it->is_number()) return std::nullopt;
  const double value = it->get<double>();
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

double required_number(const nlohmann::ordered_json& json, const char* key, const std::string& where) {
  const auto value = number(json, key);
  if (!value) fail("{}: \"{}\" is missing or not a finite number; is this the output of `swan eval kld --json`?", where, key);
  return *value;
}

std::optional<std::uint64_t> count(const nlohmann::ordered_json& json, const char* key) {
  const auto it = json.find(key);
  if (it == json.end() || !it->is_number_unsigned()) return std::nullopt;
  return it->get<std::uint64_t>();
}

std::optional<std::vector<analysis::FileFingerprint>> fingerprint(const nlohmann::ordered_json& json,
                                                                  const std::string& where) {
  const auto it = json.find("base_fingerprint");
  if (it == json.end() || it->is_null()) return std::nullopt;
  if (!it->is_array()) fail("{}: \"base_fingerprint\" must be an array of {{file, size, header_fnv1a64}}", where);
  std::vector<analysis::FileFingerprint> out;
  for (const auto& entry : *it) {
    if (!entry.is_object() || !entry.contains("file") || !entry["file"].is_string() || !entry.contains("size") ||
        !entry["size"].is_number_unsigned() || !entry.contains("header_fnv1a64") || !entry["header_fnv1a64"].is_string())
      fail("{}: an entry of \"base_fingerprint\" is not {{file, size, header_fnv1a64}}", where);
    out.push_back({entry["file"].get<std::string>(), entry["size"].get<std::uint64_t>(),
                   entry["header_fnv1a64"].get<std::string>()});
  }
  return out;
}

}  // namespace

bool is_eval_result(const nlohmann::ordered_json& json) { return json.is_object() && json.contains("kld_mean"); }

EvalResult eval_result_from_json(const nlohmann::ordered_json& json, const std::string& label, const std::string& where) {
  if (!json.is_object()) fail("{}: expected a JSON object from `swan eval kld --json`", where);
  EvalResult result;
  auto& v = result.variant;
  v.label = label;
  v.file = where;
  v.kld_mean = required_number(json, "kld_mean", where);
  v.kld_stderr = required_number(json, "kld_stderr", where);
  if (v.kld_mean < 0.0 || v.kld_stderr < 0.0) fail("{}: kld_mean and kld_stderr must not be negative", where);
  v.kld_p99 = number(json, "kld_p99");
  v.ppl = number(json, "ppl_model");
  if (!v.ppl) v.ppl = number(json, "ppl");
  v.ppl_stderr = number(json, "ppl_model_stderr");
  if (!v.ppl_stderr) v.ppl_stderr = number(json, "ppl_stderr");
  v.top1 = number(json, "top1_agreement");
  v.top1_stderr = number(json, "top1_agreement_stderr");
  v.tokens_scored = count(json, "tokens_scored");
  v.bits_per_weight = number(json, "model_bits_per_weight");
  if (v.bits_per_weight && *v.bits_per_weight <= 0.0) v.bits_per_weight.reset();
  v.bytes = count(json, "model_total_bytes");
  result.ppl_base = number(json, "ppl_base");
  result.base_fingerprint = fingerprint(json, where);
  if (const auto it = json.find("base"); it != json.end() && it->is_string()) result.base = it->get<std::string>();
  return result;
}

EvalResult read_eval_result(const std::filesystem::path& path) {
  const auto json = read_json_file(path);
  return eval_result_from_json(json, path.stem().string(), path.string());
}

std::vector<EvalVariant> compare_variants(std::vector<EvalResult> results,
                                          const std::optional<std::vector<analysis::FileFingerprint>>& model_fingerprint,
                                          const std::string& model_name) {
  auto foreign = [&](const EvalResult& r) {
    return model_fingerprint && r.base_fingerprint && *r.base_fingerprint != *model_fingerprint;
  };
  // The tokens most results of this model were scored on (tokens scored, base PPL to 6
  // digits) are the reference; a result on other tokens is not comparable with them.
  std::map<std::string, int> votes;
  auto token_key = [](const EvalResult& r) {
    return fmt::format("{}|{:.6g}", r.variant.tokens_scored.value_or(0), r.ppl_base.value_or(0.0));
  };
  for (const auto& r : results)
    if (!foreign(r)) ++votes[token_key(r)];
  std::string reference;
  int best = 0;
  for (const auto& [key, n] : votes)
    if (n > best) best = n, reference = key;  // map order: ties go to the smallest key, deterministically

  std::vector<EvalVariant> out;
  for (auto& r : results) {
    auto v = std::move(r.variant);
    if (foreign(r)) {
      v.on_chart = false;
      v.note = fmt::format("measured against another base model ({}) than {}; left off the chart",
                           r.base.empty() ? "its files differ" : r.base, model_name);
    } else if (token_key(r) != reference) {
      v.on_chart = false;
      v.note = "scored on other tokens than the other results (tokens scored or base PPL differ); left off the chart";
    } else if (!v.bits_per_weight) {
      v.on_chart = false;
      v.note = "the file records no model size (re-run `swan eval kld --json` with this swan); left off the chart";
    } else if (!r.base_fingerprint && model_fingerprint) {
      v.note = "no base fingerprint in the file: the base model could not be checked";
    }
    out.push_back(std::move(v));
  }
  std::sort(out.begin(), out.end(), [](const EvalVariant& a, const EvalVariant& b) {
    const double ab = a.bits_per_weight.value_or(INFINITY), bb = b.bits_per_weight.value_or(INFINITY);
    if (ab != bb) return ab < bb;
    if (a.kld_mean != b.kld_mean) return a.kld_mean < b.kld_mean;
    return a.label < b.label;
  });
  mark_pareto_front(out);
  return out;
}

void mark_pareto_front(std::vector<EvalVariant>& variants) {
  for (auto& v : variants) {
    v.pareto = false;
    if (!v.on_chart || !v.bits_per_weight) continue;
    bool beaten = false;
    for (const auto& w : variants) {
      if (&w == &v || !w.on_chart || !w.bits_per_weight) continue;
      const bool no_worse = *w.bits_per_weight <= *v.bits_per_weight && w.kld_mean <= v.kld_mean;
      const bool better = *w.bits_per_weight < *v.bits_per_weight || w.kld_mean < v.kld_mean;
      if (no_worse && better) beaten = true;
    }
    v.pareto = !beaten;
  }
}

}  // namespace swan::report
