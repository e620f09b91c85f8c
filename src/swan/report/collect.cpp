#include "swan/report/collect.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "swan/analysis/fingerprint.h"
#include "swan/core/error.h"
#include "swan/mlx/layout.h"
#include "swan/model/mlx_naming.h"
#include "swan/model/tensor_role.h"
#include "swan/report/frontier.h"

namespace swan::report {

namespace {

using Decisions = std::map<std::string, plan::QuantDecision, std::less<>>;

std::string directory_name(const std::filesystem::path& path) {
  auto p = path;
  if (p.filename().empty()) p = p.parent_path();
  return p.filename().string();
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Without a model directory: a weight matrix whose role the planner decides.
bool looks_quantizable(const std::string& name) {
  if (!ends_with(name, ".weight")) return false;
  const auto role = model::tensor_role(name);
  return role != model::TensorRole::norm && role != model::TensorRole::other;
}

const analysis::CurvePoint* four_bit_point(const analysis::ErrorCurve& curve) {
  for (const int g : {64, 128, 32})
    if (const auto* p = curve.find(4, g)) return p;
  return nullptr;
}

void fill_header(const ReportSources& in, ReportData& data) {
  auto& h = data.header;
  h.model = in.model_name;
  if (h.model.empty() && in.model) h.model = directory_name(in.model->path());
  if (h.model.empty() && in.manifest) h.model = directory_name(in.manifest->model);
  h.architecture = in.architecture;
  if (h.architecture.empty() && in.model && in.model->has_config())
    h.architecture = in.model->config().value("model_type", std::string{});
  if (in.model) h.original_bytes = in.model->total_weight_bytes();
  if (in.plan) {
    h.method = in.plan->method();
    h.scales = quant::to_string(in.plan->scale_method());
  }
  h.swan_version = SWAN_VERSION;
  if (in.manifest && in.manifest->run) h.analysis_version = in.manifest->run->swan_version;
  h.command = in.command;
  h.report_command = in.report_command;
  h.timestamp = in.timestamp;
}

// Rows from the written sizes, else from a plan, else from a manifest's decisions.
void fill_rows(const ReportSources& in, const std::optional<mlx::SizeSummary>& sizes,
               const std::set<std::string, std::less<>>* quantizable, ReportData& data) {
  auto is_quantizable = [&](const std::string& name) {
    return quantizable ? quantizable->count(name) > 0 : looks_quantizable(name);
  };
  auto row_for = [&](const std::string& name) {
    TensorRow row;
    row.name = name;
    row.layer = model::layer_index(name);
    row.module = module_column(name);
    row.role = std::string(model::role_name(model::tensor_role(name)));
    row.quantizable = is_quantizable(name);
    return row;
  };
  if (sizes) {
    for (const auto& p : sizes->parameters) {
      auto row = row_for(p.name);
      row.params = p.params;
      row.bytes = p.bytes;
      row.bits = p.bits;
      row.group_size = p.quantized ? p.group_size : 0;
      data.tensors.push_back(std::move(row));
    }
    auto& h = data.header;
    h.total_params = sizes->total_params;
    h.output_bytes = sizes->total_bytes;
    h.bits_per_weight = sizes->bits_per_weight();
    h.bits_per_weight_with_overhead = sizes->bits_per_weight_with_overhead();
  } else if (in.plan) {
    for (const auto& t : in.plan->tensors()) {
      auto row = row_for(t.name);
      row.quantizable = true;
      row.params = static_cast<std::uint64_t>(t.num_elements());
      row.bits = t.decision.bits;
      row.group_size = t.decision.group_size;
      data.tensors.push_back(std::move(row));
    }
    data.warnings.push_back(
        "Sizes are not shown: give the model directory (or the MLX output) with the plan to see bytes and bits per "
        "weight.");
  } else if (in.manifest) {
    for (const auto& shard : in.manifest->shards)
      for (const auto& t : shard.tensors) {
        auto row = row_for(t.name);
        row.params = static_cast<std::uint64_t>(std::max<std::int64_t>(0, t.num_params));
        row.bits = t.decision.bits;
        row.group_size = t.decision.bits == 16 ? 0 : t.decision.group_size.value_or(0);
        data.tensors.push_back(std::move(row));
      }
    std::uint64_t params = 0;
    for (const auto& r : data.tensors) params += r.params;
    data.header.total_params = params;
    if (data.header.method.empty()) data.header.method = "the manifest's own decisions (SWAN thresholds)";
    data.warnings.push_back(
        "Only a manifest was given: the heatmap shows its SWAN decisions, not a written model; give the MLX "
        "output directory or a plan to see what was written.");
  }
  if (data.tensors.empty() ||
      std::none_of(data.tensors.begin(), data.tensors.end(), [](const TensorRow& r) { return r.quantizable; }))
    data.missing[kHeatmap] =
        "No tensors to show: give an MLX output directory, a plan (with its model directory), or a manifest.";
}

// The manifest's per-tensor facts: the chosen option's error, SWAN's score, the scatter.
void fill_metrics(const ReportSources& in, const std::map<std::string, plan::PlanTarget, std::less<>>& targets,
                  ReportData& data) {
  const auto& manifest = *in.manifest;
  bool any_curve = false, any_score = false;
  for (const auto& shard : manifest.shards)
    for (const auto& t : shard.tensors) {
      if (!t.error_curve) continue;
      any_curve = true;
      const auto* four = four_bit_point(*t.error_curve);
      std::optional<double> kurtosis;
      if (t.raw) kurtosis = t.raw->excess_kurtosis;
      if (t.composite_score || kurtosis) any_score = true;
      if (!four || (!t.composite_score && !kurtosis)) continue;
      data.metric_points.push_back({t.name, t.composite_score, kurtosis, four->relative_error, four->group_size});
    }
  for (auto& row : data.tensors) {
    const auto it = targets.find(row.name);
    const std::vector<std::string> sources =
        it == targets.end() || it->second.sources.empty() ? std::vector{row.name} : it->second.sources;
    if (sources.size() == 1)
      if (const auto* entry = manifest.find(sources.front())) row.composite_score = entry->composite_score;
    if (row.group_size == 0 || it == targets.end()) {
      if (row.group_size == 0 && row.quantizable) row.relative_error = 0.0;
      if (it == targets.end() && row.group_size != 0)
        if (const auto* entry = manifest.find(row.name); entry && entry->error_curve)
          if (const auto* p = entry->error_curve->find(row.bits, row.group_size)) row.relative_error = p->relative_error;
      continue;
    }
    try {  // the element-weighted error of its sources, as the planner sees it
      const auto priced = plan::budget_targets(std::span(&it->second, 1), manifest, 2, 2, false, nullptr,
                                               in.plan ? in.plan->scale_method() : quant::ScaleMethod::minmax);
      for (const auto& o : priced.front().options)
        if (o.decision.bits == row.bits && o.decision.group_size == row.group_size) row.relative_error = o.relative_error;
    } catch (const Error&) {
      // no curve for this tensor: the cell says "error not measured"
    }
  }
  if (!any_curve)
    data.missing[kMetricScatter] = data.missing[kFrontier] =
        "The manifest has no error curves (made with --no-curves, by an older swan, or by the SWAN reference); "
        "re-run `swan analyze MODEL_DIR -o manifest.json` to measure them.";
  else if (!any_score || data.metric_points.empty())
    data.missing[kMetricScatter] =
        "The manifest has error curves but no SWAN scores (the planner measures only curves); run `swan analyze "
        "MODEL_DIR -o manifest.json` for both.";
}

void fill_frontier(const ReportSources& in, const ReportData& data, ReportData& out) {
  if (out.missing.count(kFrontier)) return;
  if (!in.manifest) {
    out.missing[kFrontier] =
        "The frontier needs a manifest with error curves: `swan analyze MODEL_DIR -o manifest.json`.";
    return;
  }
  if (!in.model) {
    out.missing[kFrontier] =
        "The frontier needs the model directory to price every option in the output's bytes: give MODEL_DIR, or a "
        "manifest whose \"model\" directory exists here (--model DIR).";
    return;
  }
  try {
    const auto space = mlx::budget_space(*in.model, in.dtype);
    const auto scales = in.plan ? in.plan->scale_method() : quant::ScaleMethod::minmax;
    const auto targets = mlx::priced_targets(space, *in.manifest, nullptr, scales);
    Frontier f;
    f.points = planner_frontier(targets, space.fixed_bytes);
    f.total_params = space.total_params;
    f.weights = "role priors (swan plan's default --sensitivity prior)";
    Decisions decisions;
    for (const auto& row : data.tensors)
      if (row.quantizable)
        decisions[row.name] = row.group_size ? plan::QuantDecision::quantized(row.bits, row.group_size)
                                             : plan::QuantDecision::keep_float();
    f.chosen = allocation_point(targets, space.fixed_bytes, decisions);
    if (in.budget) f.budget_bytes = mlx::budget_bytes(*in.budget, space);
    out.frontier = std::move(f);
  } catch (const Error& e) {
    out.missing[kFrontier] = std::string("The frontier cannot be computed: ") + e.what();
  }
}

// The budget given with the sources, else the one the plan records.
std::string budget_text(const ReportSources& in) {
  if (in.budget) return plan::describe(*in.budget);
  return in.plan ? in.plan->budget : std::string();
}

}  // namespace

std::string module_column(const std::string& tensor_name) {
  std::string s = tensor_name;
  if (s.rfind("model.", 0) == 0) s.erase(0, 6);
  if (s.rfind("layers.", 0) == 0) {
    const auto dot = s.find('.', 7);
    s = dot == std::string::npos ? s : s.substr(dot + 1);
  }
  if (ends_with(s, ".weight")) s.erase(s.size() - 7);
  return s;
}

ReportData collect_report(const ReportSources& in) {
  ReportData data;
  fill_header(in, data);
  std::optional<mlx::SizeSummary> sizes;
  if (in.output) sizes = *in.output;
  std::map<std::string, plan::PlanTarget, std::less<>> targets;
  std::set<std::string, std::less<>> quantizable;
  if (in.model) {
    try {
      for (auto& t : mlx::quantizable_targets(*in.model)) {
        quantizable.insert(t.name);
        targets.emplace(t.name, std::move(t));
      }
      if (!sizes && in.plan) sizes = mlx::summarize(mlx::build_layout(*in.model, *in.plan, in.dtype), *in.plan);
    } catch (const Error& e) {
      data.warnings.push_back(std::string("The model directory could not be laid out as an MLX model: ") + e.what());
    }
  } else if (in.plan) {
    for (const auto& t : in.plan->tensors()) {
      quantizable.insert(t.name);
      targets.emplace(t.name, plan::PlanTarget{t.name, t.shape, t.sources});
    }
  }
  fill_rows(in, sizes, quantizable.empty() ? nullptr : &quantizable, data);
  if (in.manifest) {
    fill_metrics(in, targets, data);
  } else {
    data.missing[kMetricScatter] =
        "No manifest given: the scatter of SWAN's score against measured error needs `swan analyze MODEL_DIR -o "
        "manifest.json`.";
  }
  fill_frontier(in, data, data);
  data.header.budget = budget_text(in);
  if (data.header.method.empty()) data.header.method = "not recorded in the inputs (give the plan)";

  if (in.evals.empty()) {
    data.missing[kEvalPareto] =
        "No eval results given: for each variant run `swan eval kld MODEL_DIR VARIANT_DIR --text FILE --json > "
        "NAME.json` and pass the files; NAME labels the variant.";
  } else {
    std::optional<std::vector<analysis::FileFingerprint>> fingerprint;
    if (in.model) {
      try {
        fingerprint = analysis::fingerprint_model(*in.model);
      } catch (const Error&) {
      }
    } else if (in.manifest && in.manifest->run) {
      fingerprint = in.manifest->run->fingerprint;
    }
    data.variants = compare_variants(in.evals, fingerprint, data.header.model);
    if (std::none_of(data.variants.begin(), data.variants.end(), [](const EvalVariant& v) { return v.on_chart; }))
      data.missing[kEvalPareto] = "None of the eval results can be drawn; the table says why for each.";
  }
  return data;
}

}  // namespace swan::report
