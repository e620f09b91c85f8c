// GGUF prices of a byte budget; see budget.h.
#include "swan/gguf/budget.h"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <exception>
#include <map>
#include <mutex>

#include "swan/analysis/analysis_matrix.h"
#include "swan/analysis/ggml_error_curve.h"
#include "swan/core/error.h"
#include "swan/quant/finite.h"

namespace swan::gguf {
using quant::GgmlType;

namespace {

constexpr GgmlType kPlannerTypes[] = {GgmlType::F32,  GgmlType::F16,  GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q6_K,
                                      GgmlType::Q5_K, GgmlType::Q5_1, GgmlType::Q5_0, GgmlType::Q4_K, GgmlType::Q4_1,
                                      GgmlType::Q4_0, GgmlType::Q3_K, GgmlType::Q2_K};

std::uint64_t elements_of(const std::vector<std::uint64_t>& ne) {
  std::uint64_t n = 1;
  for (const auto d : ne) n *= d;
  return n;
}

model::ModelConfig config_of(const ModelDirectory& source) {
  return model::parse_model_config(source.config(), (source.path() / "config.json").string());
}

// The nominal bits of a type, for the rules (routers >= 8 bits); float types are not quantized.
int nominal_bits(GgmlType type) {
  switch (type) {
    case GgmlType::Q8_0: return 8;
    case GgmlType::Q6_K: return 6;
    case GgmlType::Q5_K:
    case GgmlType::Q5_0:
    case GgmlType::Q5_1: return 5;
    case GgmlType::Q4_K:
    case GgmlType::Q4_0:
    case GgmlType::Q4_1: return 4;
    case GgmlType::Q3_K: return 3;
    case GgmlType::Q2_K: return 2;
    default: return 16;
  }
}

}  // namespace

std::span<const GgmlType> planner_types() { return kPlannerTypes; }

BudgetSpace budget_space(const ModelDirectory& source, const BudgetSpaceOptions& options) {
  const model::ModelConfig config = config_of(source);
  // Any choice gives the same tensors, shapes and F32 tensors; only the types differ.
  TypeChoice f32;
  f32.preset = Preset::F32;
  f32.pure = true;
  const auto planned = plan_gguf_tensors(source, config, f32);

  BudgetSpace space;
  bool has_output = false;
  for (const auto& p : planned) has_output = has_output || p.name == "output.weight";
  for (const auto& p : planned) {
    space.total_params += elements_of(p.ne);
    if (!is_quantizable(p.name, p.ne.size())) {
      space.fixed_bytes += p.bytes();
      continue;
    }
    BudgetTensor t;
    t.name = p.name;
    t.source = p.source;
    t.expert_sources = p.expert_sources;
    t.elements = elements_of(p.ne);
    t.role = model::tensor_role(p.source);
    t.serves_output = p.name == "token_embd.weight" && !has_output;
    space.tensors.push_back(std::move(t));
  }

  // Largest first, so one big matrix does not start last; results land in their own slots.
  const std::size_t count = space.tensors.size();
  std::vector<std::size_t> order(count);
  for (std::size_t i = 0; i < count; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return space.tensors[a].elements > space.tensors[b].elements; });
  const int threads = std::max(1, options.threads > 0 ? options.threads : omp_get_max_threads());
  std::vector<std::vector<float>> buffers(static_cast<std::size_t>(threads));
  std::mutex mutex;
  std::exception_ptr first_error;
  std::size_t done = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (std::size_t n = 0; n < count; ++n) {
    {
      std::lock_guard lock(mutex);
      if (first_error) continue;
    }
    try {
      BudgetTensor& t = space.tensors[order[n]];
      // A stacked expert tensor is measured as one matrix: every expert's rows, one after another.
      std::vector<float>& values = buffers[static_cast<std::size_t>(omp_get_thread_num())];
      analysis::AnalysisLayout layout{};
      std::vector<float> part;
      const std::vector<std::string> parts = t.expert_sources.empty() ? std::vector<std::string>{t.source} : t.expert_sources;
      for (std::size_t e = 0; e < parts.size(); ++e) {
        const ModelTensor& tensor = *source.find(parts[e]);
        const analysis::AnalysisLayout part_layout = analysis::analysis_layout(tensor.info->shape);
        analysis::read_analysis_matrix(source, tensor, part_layout, parts.size() == 1 ? values : part);
        source.file(tensor).release(*tensor.info);
        if (e == 0) {
          layout = part_layout;
          if (parts.size() > 1) values.assign(part.begin(), part.end());
        } else {
          layout.rows += part_layout.rows;
          values.insert(values.end(), part.begin(), part.end());
        }
      }
      if (const auto bad = quant::first_non_finite(values))
        fail("tensor '{}' holds the non-finite value {} at element {}; swan refuses to quantize it. Fix or re-export "
             "the checkpoint",
             t.source, values[*bad], *bad);
      const auto curve = analysis::measure_ggml_error_curve({values.data(), layout.rows, layout.cols}, kPlannerTypes,
                                                            options.sampling);
      for (const auto& point : curve.points)
        t.options.push_back({point.type, quant::bytes_for(point.type, static_cast<std::size_t>(layout.cols)) *
                                             static_cast<std::uint64_t>(layout.rows),
                             point.relative_error});
      SWAN_CHECK(!t.options.empty(), "tensor '{}' has no storable ggml type", t.source);
      std::lock_guard lock(mutex);
      if (options.progress) options.progress(++done, count);
    } catch (...) {
      std::lock_guard lock(mutex);
      if (!first_error) first_error = std::current_exception();
    }
  }
  if (first_error) std::rethrow_exception(first_error);
  return space;
}

double GgufBudgetPlan::bits_per_weight() const {
  return total_params == 0 ? 0.0 : 8.0 * static_cast<double>(tensor_bytes) / static_cast<double>(total_params);
}

GgufBudgetPlan plan_gguf_budget(const ModelDirectory& source, const BudgetSpace& space, const plan::Budget& budget,
                                const plan::BudgetRules& rules, const plan::Sensitivities* sensitivities) {
  GgufBudgetPlan result;
  result.total_params = space.total_params;
  result.budget_bytes = plan::budget_bytes(budget, space.total_params);

  std::vector<plan::PricedTensor> priced;
  for (const auto& t : space.tensors) {
    plan::PricedTensor p{t.name, t.role, plan::role_prior(t.role, t.serves_output), {}};
    if (sensitivities)
      if (const auto it = sensitivities->find(t.source); it != sensitivities->end()) p.weight = it->second;
    for (const auto& o : t.options)
      p.options.push_back({o.bytes, o.relative_error, quant::is_block_quantized(o.type), nominal_bits(o.type)});
    result.weights.push_back(p.weight);
    priced.push_back(std::move(p));
  }
  const std::uint64_t floor = plan::minimum_budget(priced, rules) + space.fixed_bytes;
  const auto bpw = [&](std::uint64_t bytes) {
    return 8.0 * static_cast<double>(bytes) / static_cast<double>(std::max<std::uint64_t>(1, space.total_params));
  };
  if (result.budget_bytes < floor)
    fail("the budget ({} bytes of tensor data, {:.3f} bits/weight) is below the smallest GGUF the planner can write for "
         "this model: {} bytes ({:.3f} bits/weight, every tensor at its smallest allowed type); raise --target-size / "
         "--target-bpw to at least that",
         result.budget_bytes, bpw(result.budget_bytes), floor, bpw(floor));
  const plan::BudgetChoice chosen = plan::choose_for_budget(priced, result.budget_bytes - space.fixed_bytes, rules);

  std::map<GgmlType, std::uint64_t> params_by_type;
  for (std::size_t i = 0; i < space.tensors.size(); ++i) {
    const GgmlType type = space.tensors[i].options[chosen.option[i]].type;
    result.types.push_back(type);
    result.choice.overrides[space.tensors[i].name] = type;
    params_by_type[type] += space.tensors[i].elements;
  }
  // general.file_type: the type covering the most parameters (ties: the first in id order).
  GgmlType dominant = GgmlType::F32;
  std::uint64_t most = 0;
  for (const auto& [type, params] : params_by_type)
    if (params > most) most = params, dominant = type;
  result.choice.preset = preset_for_type(dominant);
  result.choice.pure = true;
  result.objective = chosen.objective;
  result.lower_bound = chosen.lower_bound;

  // What the writer will lay out, by its own accounting.
  for (const auto& p : plan_gguf_tensors(source, config_of(source), result.choice)) result.tensor_bytes += p.bytes();
  SWAN_CHECK(result.tensor_bytes == chosen.bytes + space.fixed_bytes,
             "GGUF planner priced {} bytes but the writer lays out {}", chosen.bytes + space.fixed_bytes,
             result.tensor_bytes);
  SWAN_CHECK(result.tensor_bytes <= result.budget_bytes, "planned GGUF exceeds the budget");
  return result;
}

std::string format_gguf_budget_plan(const BudgetSpace& space, const GgufBudgetPlan& plan) {
  std::string out = fmt::format(
      "budget plan: {} bytes of tensor data ({:.3f} bits/weight) for a budget of {} bytes ({:.2f} % of it); "
      "predicted error {:.4g} (lower bound {:.4g})\n",
      plan.tensor_bytes, plan.bits_per_weight(), plan.budget_bytes,
      plan.budget_bytes ? 100.0 * static_cast<double>(plan.tensor_bytes) / static_cast<double>(plan.budget_bytes) : 0.0,
      plan.objective, plan.lower_bound);
  std::map<std::pair<model::TensorRole, GgmlType>, std::size_t> by_role;
  for (std::size_t i = 0; i < space.tensors.size(); ++i) ++by_role[{space.tensors[i].role, plan.types[i]}];
  std::string line;
  model::TensorRole current = model::TensorRole::other;
  bool first = true;
  for (const auto& [key, count] : by_role) {
    if (first || key.first != current) {
      if (!first) out += line + "\n";
      line = fmt::format("  {:<12}", model::role_name(key.first));
      current = key.first;
      first = false;
    }
    line += fmt::format(" {} x{}", quant::ggml_type_name(key.second), count);
  }
  if (!first) out += line + "\n";
  return out;
}

}  // namespace swan::gguf
