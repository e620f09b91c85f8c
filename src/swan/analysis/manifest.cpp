#include "swan/analysis/manifest.h"

#include <fmt/format.h>

#include <cmath>

#include "swan/core/error.h"
#include "swan/io/atomic_file.h"
#include "swan/io/model_directory.h"
#include "swan/quant/affine.h"
#include "swan/quant/scale_method.h"

namespace swan::analysis {
namespace {

using Json = nlohmann::ordered_json;

constexpr int kBitWidths[] = {2, 4, 8, 16};

Json optional_number(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }

Json scores_to_json(const Scores& s) {
  Json j;
  j["svd"] = s.svd;
  j["kurtosis"] = s.kurtosis;
  j["output_sensitivity"] = s.output_sensitivity;
  j[s.cross_layer_key ? "cross_layer" : "error_proxy"] = s.cross_layer_key ? 0.0 : s.error_proxy;
  return j;
}

Json raw_to_json(const RawMetrics& r) {
  Json j;
  j["analysis_shape"] = r.analysis_shape;
  if (!r.expert_slices.empty()) j["expert_slices"] = r.expert_slices;
  j["excess_kurtosis"] = optional_number(r.excess_kurtosis);
  j["nrmse"] = optional_number(r.nrmse);
  j["quantization_rmse"] = r.quantization_rmse;
  j["concentration"] = optional_number(r.concentration);
  if (r.exact_concentration) j["exact_concentration"] = *r.exact_concentration;
  j["svd_method"] = r.svd_method;
  j["singular_values"] = r.singular_values;
  j["top_k"] = r.top_k;
  j["delta"] = r.delta;
  j["weight_range"] = r.weight_range;
  j["rms"] = r.rms;
  return j;
}

Json curve_to_json(const ErrorCurve& c, std::size_t scale_bytes) {
  Json j;
  j["rows"] = c.rows;
  j["cols"] = c.cols;
  j["values_measured"] = c.values_measured;
  j["scales"] = c.scales;
  Json options = Json::array();
  const auto elements = static_cast<std::uint64_t>(c.rows * c.cols);
  for (const auto& p : c.points) {
    Json o;
    o["bits"] = p.bits;
    o["group_size"] = p.group_size;
    o["bytes"] = quant::affine_storage_bytes(elements, {p.bits, p.group_size}, scale_bytes);
    o["relative_error"] = p.relative_error;
    const double db = sqnr_db(p.relative_error);
    o["sqnr_db"] = std::isfinite(db) ? Json(db) : Json(nullptr);
    options.push_back(std::move(o));
  }
  j["options"] = std::move(options);
  return j;
}

std::size_t torch_dtype_bytes(const std::string& torch_dtype) {
  if (torch_dtype == "torch.float32") return 4;
  return 2;  // float16 / bfloat16: the scales' width in the model dtype
}

Json tensor_to_json(const ManifestTensor& t) {
  Json j;
  j["shape"] = t.shape;
  j["dtype"] = t.dtype;
  j["num_params"] = t.num_params;
  j["classification"] = class_name(t.classification);
  if (t.scores) j["scores"] = scores_to_json(*t.scores);
  if (t.composite_score) j["composite_score"] = *t.composite_score;
  Json decision;
  decision["bits"] = t.decision.bits;
  decision["reason"] = t.decision.reason;
  if (t.decision.group_size) decision["group_size"] = *t.decision.group_size;
  j["decision"] = std::move(decision);
  if (t.raw) j["raw"] = raw_to_json(*t.raw);
  if (t.error_curve) j["error_curve"] = curve_to_json(*t.error_curve, torch_dtype_bytes(t.dtype));
  return j;
}

// --- reading -------------------------------------------------------------------------

struct Reader {
  const std::string& label;

  const Json& member(const Json& object, const std::string& key, const std::string& where) const {
    if (!object.is_object()) fail("manifest {}: {} is not a JSON object", label, where);
    const auto it = object.find(key);
    if (it == object.end()) fail("manifest {}: {} has no \"{}\" key", label, where, key);
    return *it;
  }
  template <typename T>
  T get(const Json& object, const std::string& key, const std::string& where) const {
    const Json& value = member(object, key, where);
    try {
      return value.get<T>();
    } catch (const nlohmann::json::exception& e) {
      fail("manifest {}: {}.{} has the wrong type ({})", label, where, key, e.what());
    }
  }
  std::optional<double> optional_double(const Json& object, const std::string& key, const std::string& where) const {
    const Json& value = member(object, key, where);
    if (value.is_null()) return std::nullopt;
    return get<double>(object, key, where);
  }
};

Scores scores_from_json(const Reader& rd, const Json& j, const std::string& where) {
  Scores s;
  s.svd = rd.get<double>(j, "svd", where);
  s.kurtosis = rd.get<double>(j, "kurtosis", where);
  s.output_sensitivity = rd.get<double>(j, "output_sensitivity", where);
  if (j.contains("error_proxy")) {
    s.error_proxy = rd.get<double>(j, "error_proxy", where);
  } else {
    rd.get<double>(j, "cross_layer", where);  // the tiny-tensor quirk; its value is always 0
    s.cross_layer_key = true;
  }
  return s;
}

RawMetrics raw_from_json(const Reader& rd, const Json& j, const std::string& where) {
  RawMetrics r;
  r.analysis_shape = rd.get<std::vector<std::int64_t>>(j, "analysis_shape", where);
  if (j.contains("expert_slices")) r.expert_slices = rd.get<std::vector<std::int64_t>>(j, "expert_slices", where);
  r.excess_kurtosis = rd.optional_double(j, "excess_kurtosis", where);
  r.nrmse = rd.optional_double(j, "nrmse", where);
  r.quantization_rmse = rd.get<double>(j, "quantization_rmse", where);
  r.concentration = rd.optional_double(j, "concentration", where);
  if (j.contains("exact_concentration")) r.exact_concentration = rd.get<double>(j, "exact_concentration", where);
  r.svd_method = rd.get<std::string>(j, "svd_method", where);
  r.singular_values = rd.get<std::int64_t>(j, "singular_values", where);
  r.top_k = rd.get<std::int64_t>(j, "top_k", where);
  r.delta = rd.get<double>(j, "delta", where);
  r.weight_range = rd.get<double>(j, "weight_range", where);
  r.rms = rd.get<double>(j, "rms", where);
  return r;
}

ErrorCurve curve_from_json(const Reader& rd, const Json& j, const std::string& where) {
  ErrorCurve c;
  c.rows = rd.get<std::int64_t>(j, "rows", where);
  c.cols = rd.get<std::int64_t>(j, "cols", where);
  c.values_measured = rd.get<std::int64_t>(j, "values_measured", where);
  c.scales = rd.get<std::string>(j, "scales", where);
  try {
    c.scales = quant::to_string(quant::parse_scale_method(c.scales));
  } catch (const Error& e) {
    fail("manifest {}: {}.scales: {}", rd.label, where, e.what());
  }
  if (c.rows <= 0 || c.cols <= 0 || c.rows > (std::int64_t{1} << 40) || c.cols > (std::int64_t{1} << 40) ||
      c.values_measured <= 0 || c.values_measured > c.rows * c.cols)
    fail("manifest {}: {} has an impossible shape ({} x {}, {} values measured)", rd.label, where, c.rows, c.cols,
         c.values_measured);
  const Json& options = rd.member(j, "options", where);
  if (!options.is_array()) fail("manifest {}: {}.options is not an array", rd.label, where);
  for (std::size_t i = 0; i < options.size(); ++i) {
    const std::string at = fmt::format("{}.options[{}]", where, i);
    CurvePoint p;
    p.bits = rd.get<int>(options[i], "bits", at);
    p.group_size = rd.get<int>(options[i], "group_size", at);
    p.relative_error = rd.get<double>(options[i], "relative_error", at);
    if (!quant::is_supported({p.bits, p.group_size}) || c.cols % p.group_size != 0)
      fail("manifest {}: {} is {}-bit g{}, not a legal option for a last dimension of {}", rd.label, at, p.bits,
           p.group_size, c.cols);
    if (!std::isfinite(p.relative_error) || p.relative_error < 0.0)
      fail("manifest {}: {}.relative_error must be a finite number >= 0", rd.label, at);
    c.points.push_back(p);
  }
  return c;
}

ManifestTensor tensor_from_json(const Reader& rd, const std::string& name, const Json& j) {
  const std::string where = "tensor \"" + name + "\"";
  ManifestTensor t;
  t.name = name;
  t.shape = rd.get<std::vector<std::int64_t>>(j, "shape", where);
  t.dtype = rd.get<std::string>(j, "dtype", where);
  t.num_params = rd.get<std::int64_t>(j, "num_params", where);
  try {
    t.classification = parse_class_name(rd.get<std::string>(j, "classification", where));
  } catch (const Error& e) {
    fail("manifest {}: {}: {}", rd.label, where, e.what());
  }
  if (j.contains("scores")) t.scores = scores_from_json(rd, j["scores"], where + ".scores");
  if (j.contains("composite_score")) t.composite_score = rd.get<double>(j, "composite_score", where);
  const Json& decision = rd.member(j, "decision", where);
  t.decision.bits = rd.get<int>(decision, "bits", where + ".decision");
  t.decision.reason = rd.get<std::string>(decision, "reason", where + ".decision");
  if (decision.contains("group_size")) t.decision.group_size = rd.get<int>(decision, "group_size", where + ".decision");
  if (j.contains("raw")) t.raw = raw_from_json(rd, j["raw"], where + ".raw");
  if (j.contains("error_curve")) t.error_curve = curve_from_json(rd, j["error_curve"], where + ".error_curve");
  return t;
}


}  // namespace

const ManifestTensor* Manifest::find(std::string_view name) const {
  for (const auto& shard : shards)
    for (const auto& tensor : shard.tensors)
      if (tensor.name == name) return &tensor;
  return nullptr;
}

bool operator==(const ManifestConfig& a, const ManifestConfig& b) {
  return a.thresholds.bits2 == b.thresholds.bits2 && a.thresholds.bits8 == b.thresholds.bits8 &&
         a.thresholds.bits16 == b.thresholds.bits16 && a.thresholds.default_bits == b.thresholds.default_bits &&
         a.weights.svd == b.weights.svd && a.weights.kurtosis == b.weights.kurtosis &&
         a.weights.output_sensitivity == b.weights.output_sensitivity &&
         a.weights.error_proxy == b.weights.error_proxy && a.svd_rank == b.svd_rank;
}

bool operator==(const Manifest& a, const Manifest& b) {
  return a.model == b.model && a.config == b.config && a.total_layers == b.total_layers &&
         a.total_tensors == b.total_tensors && a.shards == b.shards && a.summary == b.summary && a.run == b.run;
}

double estimated_bytes(int bits, std::int64_t params) {
  const double n = static_cast<double>(params);
  switch (bits) {
    case 16: return 2.0 * n;
    case 8: return n + 2.0 * n / 64.0;
    case 4: return 0.5 * n + 2.0 * n / 128.0;
    case 2: return 0.25 * n + 2.0 * n / 32.0;
    default: return n * bits / 8.0;
  }
}

ManifestSummary summarize(const std::vector<ManifestShard>& shards, double analysis_time_seconds) {
  ManifestSummary summary;
  for (const int bits : kBitWidths) summary.bits_distribution[bits] = {};
  std::int64_t weighted_bits = 0;
  for (const auto& shard : shards) {
    for (const auto& tensor : shard.tensors) {
      summary.total_params += tensor.num_params;
      summary.bits_distribution[tensor.decision.bits].params += tensor.num_params;
      weighted_bits += tensor.num_params * tensor.decision.bits;
      ++summary.tensor_count;
    }
  }
  double bytes = 0.0;
  for (auto& [bits, share] : summary.bits_distribution) {
    if (summary.total_params > 0)
      share.percentage = static_cast<double>(share.params) / static_cast<double>(summary.total_params) * 100.0;
    bytes += estimated_bytes(bits, share.params);
  }
  summary.estimated_size_gb = bytes / (1024.0 * 1024.0 * 1024.0);
  if (summary.total_params > 0)
    summary.average_bits = static_cast<double>(weighted_bits) / static_cast<double>(summary.total_params);
  summary.analysis_time_seconds = analysis_time_seconds;
  return summary;
}

Json manifest_to_json(const Manifest& m) {
  Json j;
  j["model"] = m.model;
  Json config;
  config["sensitivity_threshold_2bit"] = m.config.thresholds.bits2;
  config["sensitivity_threshold_8bit"] = m.config.thresholds.bits8;
  config["sensitivity_threshold_16bit"] = m.config.thresholds.bits16;
  config["default_bits"] = m.config.thresholds.default_bits;
  config["metric_weights"] = Json{{"svd", m.config.weights.svd},
                                  {"kurtosis", m.config.weights.kurtosis},
                                  {"output_sensitivity", m.config.weights.output_sensitivity},
                                  {"error_proxy", m.config.weights.error_proxy}};
  config["svd_rank"] = m.config.svd_rank;
  j["config"] = std::move(config);
  j["total_layers"] = m.total_layers;
  j["total_tensors"] = m.total_tensors;
  Json shards = Json::object();
  for (const auto& shard : m.shards) {
    Json tensors = Json::object();
    for (const auto& tensor : shard.tensors) tensors[tensor.name] = tensor_to_json(tensor);
    shards[shard.file] = Json{{"file", shard.file}, {"tensors", std::move(tensors)}};
  }
  j["shards"] = std::move(shards);
  Json summary;
  summary["total_params"] = m.summary.total_params;
  Json distribution = Json::object();
  for (const auto& [bits, share] : m.summary.bits_distribution)
    distribution[std::to_string(bits)] = Json{{"params", share.params}, {"percentage", share.percentage}};
  summary["bits_distribution"] = std::move(distribution);
  summary["estimated_size_gb"] = m.summary.estimated_size_gb;
  summary["average_bits"] = m.summary.average_bits;
  summary["analysis_time_seconds"] = m.summary.analysis_time_seconds;
  summary["tensor_count"] = m.summary.tensor_count;
  j["summary"] = std::move(summary);
  if (m.run) {
    j["swan_manifest_version"] = m.run->manifest_version;
    j["swan_version"] = m.run->swan_version;
    j["seed"] = m.run->seed;
    j["threshold_set"] = m.run->threshold_set;
    j["noise_metric"] = m.run->noise_metric;
    if (!m.run->svd.empty()) j["svd"] = m.run->svd;
    j["score_protected"] = m.run->score_protected;
    Json files = Json::array();
    for (const auto& f : m.run->fingerprint)
      files.push_back(Json{{"file", f.file}, {"size", f.size}, {"header_fnv1a64", f.header_fnv1a64}});
    j["fingerprint"] = std::move(files);
  }
  return j;
}

Manifest manifest_from_json(const Json& j, const std::string& label) {
  const Reader rd{label};
  Manifest m;
  m.model = rd.get<std::string>(j, "model", "the top level");
  const Json& config = rd.member(j, "config", "the top level");
  m.config.thresholds.bits2 = rd.get<double>(config, "sensitivity_threshold_2bit", "config");
  m.config.thresholds.bits8 = rd.get<double>(config, "sensitivity_threshold_8bit", "config");
  m.config.thresholds.bits16 = rd.get<double>(config, "sensitivity_threshold_16bit", "config");
  m.config.thresholds.default_bits = rd.get<int>(config, "default_bits", "config");
  const Json& weights = rd.member(config, "metric_weights", "config");
  m.config.weights.svd = rd.get<double>(weights, "svd", "config.metric_weights");
  m.config.weights.kurtosis = rd.get<double>(weights, "kurtosis", "config.metric_weights");
  m.config.weights.output_sensitivity = rd.get<double>(weights, "output_sensitivity", "config.metric_weights");
  if (weights.contains("error_proxy")) {
    m.config.weights.error_proxy = rd.get<double>(weights, "error_proxy", "config.metric_weights");
  } else {
    fail("manifest {}: config.metric_weights has no \"error_proxy\" (a v1 cross_layer manifest, which swan does not "
         "support); re-run the analysis",
         label);
  }
  m.config.svd_rank = rd.get<std::int64_t>(config, "svd_rank", "config");
  m.total_layers = rd.get<std::int64_t>(j, "total_layers", "the top level");
  m.total_tensors = rd.get<std::int64_t>(j, "total_tensors", "the top level");
  const Json& shards = rd.member(j, "shards", "the top level");
  if (!shards.is_object()) fail("manifest {}: \"shards\" is not an object", label);
  for (const auto& [key, shard_json] : shards.items()) {
    ManifestShard shard;
    shard.file = rd.get<std::string>(shard_json, "file", "shard \"" + key + "\"");
    const Json& tensors = rd.member(shard_json, "tensors", "shard \"" + key + "\"");
    if (!tensors.is_object()) fail("manifest {}: shard \"{}\".tensors is not an object", label, key);
    for (const auto& [name, tensor_json] : tensors.items()) shard.tensors.push_back(tensor_from_json(rd, name, tensor_json));
    m.shards.push_back(std::move(shard));
  }
  const Json& summary = rd.member(j, "summary", "the top level");
  m.summary.total_params = rd.get<std::int64_t>(summary, "total_params", "summary");
  const Json& distribution = rd.member(summary, "bits_distribution", "summary");
  if (!distribution.is_object()) fail("manifest {}: summary.bits_distribution is not an object", label);
  for (const auto& [bits, share] : distribution.items()) {
    int b = 0;
    try {
      b = std::stoi(bits);
    } catch (const std::exception&) {
      fail("manifest {}: summary.bits_distribution key \"{}\" is not a bit width", label, bits);
    }
    const std::string where = "summary.bits_distribution." + bits;
    m.summary.bits_distribution[b] = {rd.get<std::int64_t>(share, "params", where),
                                      rd.get<double>(share, "percentage", where)};
  }
  m.summary.estimated_size_gb = rd.get<double>(summary, "estimated_size_gb", "summary");
  m.summary.average_bits = rd.get<double>(summary, "average_bits", "summary");
  m.summary.analysis_time_seconds = rd.get<double>(summary, "analysis_time_seconds", "summary");
  m.summary.tensor_count = rd.get<std::int64_t>(summary, "tensor_count", "summary");
  if (j.contains("swan_version")) {
    RunInfo run;
    // Version 1 manifests had no version key (and no error curves).
    run.manifest_version =
        j.contains("swan_manifest_version") ? rd.get<int>(j, "swan_manifest_version", "the top level") : 1;
    if (run.manifest_version < 1 || run.manifest_version > kManifestVersion)
      fail("manifest {}: swan_manifest_version {} is not one this swan reads (1 to {}); re-run `swan analyze`",
           label, run.manifest_version, kManifestVersion);
    run.swan_version = rd.get<std::string>(j, "swan_version", "the top level");
    run.seed = rd.get<std::uint64_t>(j, "seed", "the top level");
    run.threshold_set = rd.get<std::string>(j, "threshold_set", "the top level");
    run.noise_metric = rd.get<std::string>(j, "noise_metric", "the top level");
    if (j.contains("svd")) run.svd = rd.get<std::string>(j, "svd", "the top level");
    run.score_protected = rd.get<bool>(j, "score_protected", "the top level");
    for (const auto& f : rd.member(j, "fingerprint", "the top level"))
      run.fingerprint.push_back({rd.get<std::string>(f, "file", "fingerprint"), rd.get<std::uint64_t>(f, "size", "fingerprint"),
                                 rd.get<std::string>(f, "header_fnv1a64", "fingerprint")});
    m.run = std::move(run);
  }
  return m;
}

std::string format_manifest(const Manifest& manifest) { return manifest_to_json(manifest).dump(2) + "\n"; }

void write_manifest(const Manifest& manifest, const std::filesystem::path& path) {
  write_file_atomically(path, format_manifest(manifest), "the manifest");
}

Manifest read_manifest(const std::filesystem::path& path) {
  return manifest_from_json(read_json_file(path), path.string());
}

}  // namespace swan::analysis
