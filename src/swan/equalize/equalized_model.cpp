// Equalising an opened model through an overlay of rescaled tensors; see equalized_model.h.
#include "swan/equalize/equalized_model.h"

#include <fmt/format.h>
#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "swan/core/dtype.h"
#include "swan/core/error.h"
#include "swan/io/safetensors_writer.h"
#include "swan/model/mlx_naming.h"

namespace swan::equalize {
namespace fs = std::filesystem;

namespace {

const ModelTensor& float_tensor(const ModelDirectory& model, const std::string& name, std::size_t rank) {
  const ModelTensor* t = model.find(name);
  if (t == nullptr) fail("--equalize: {} has no tensor '{}' (the architecture's folding points need it)", model.path().string(), name);
  if (!is_float_weight_dtype(t->info->dtype) || t->info->shape.size() != rank)
    fail("--equalize: tensor '{}' is {} with {} dimensions; expected a float tensor with {}", name,
         dtype_name(t->info->dtype), t->info->shape.size(), rank);
  return *t;
}

// Per tensor: the factor of each entry along dimension 0 and of each column (2-D only).
struct TensorFactors {
  std::vector<float> dim0;
  std::vector<float> columns;
};

// A private directory that is removed with everything in it when this goes out of scope.
class TemporaryDirectory {
 public:
  explicit TemporaryDirectory(const fs::path& parent) {
    std::string pattern = (parent / "swan-equalize-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr)
      fail("--equalize: cannot create a temporary directory in {} (set TMPDIR to a writable directory)",
           parent.string());
    path_ = pattern;
  }
  ~TemporaryDirectory() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

}  // namespace

std::vector<FoldPoint> default_fold_points() {
  return {FoldPoint::attention_input, FoldPoint::mlp_input, FoldPoint::output_head};
}

std::vector<FoldPoint> parse_fold_points(const std::string& list) {
  const std::vector<FoldPoint> all = {FoldPoint::attention_input, FoldPoint::mlp_input, FoldPoint::mlp_down,
                                      FoldPoint::attention_output, FoldPoint::output_head};
  std::vector<FoldPoint> points;
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t end = std::min(list.find(',', start), list.size());
    const std::string name = list.substr(start, end - start);
    start = end + 1;
    if (name == "all") {
      points = all;
      continue;
    }
    if (name == "norms") {
      for (auto p : {FoldPoint::attention_input, FoldPoint::mlp_input, FoldPoint::output_head}) points.push_back(p);
      continue;
    }
    const auto it = std::find_if(all.begin(), all.end(), [&](FoldPoint p) { return to_string(p) == name; });
    if (it == all.end())
      fail("--equalize: unknown folding point '{}'; use all, norms, or a comma-separated list of attention_input, "
           "mlp_input, mlp_down, attention_output, output_head",
           name);
    points.push_back(*it);
  }
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  return points;
}

std::vector<Fold> selected_folds(const ModelDirectory& model, const EqualizeOptions& options) {
  const auto config = model::parse_model_config(model.config(), (model.path() / "config.json").string());
  std::vector<std::string> names;
  for (const auto& t : model.tensors()) names.push_back(t.name());
  return model_folds(config, model::decide_output_head(model).tied, options.points, names);
}

std::vector<std::vector<float>> fold_factors(const ModelDirectory& model, const std::vector<Fold>& folds,
                                             const BalanceRule& rule) {
  std::vector<std::vector<float>> factors;
  factors.reserve(folds.size());
  for (const auto& fold : folds) {
    std::vector<std::vector<float>> values;
    std::vector<MatrixValues> matrices;
    for (const auto& name : fold.scaled_columns) {
      const ModelTensor& t = float_tensor(model, name, 2);
      const auto rows = static_cast<std::size_t>(t.info->shape[0]), cols = static_cast<std::size_t>(t.info->shape[1]);
      if (fold.column_to_factor(cols - 1) != fold.channels - 1 || (fold.head_dim == 0 && cols != fold.channels))
        fail("--equalize: tensor '{}' has {} columns, which does not fit its fold's {} channels", name, cols,
             fold.channels);
      values.push_back(model.read_float(t));
      matrices.push_back({values.back(), rows, cols});
    }
    std::vector<float> c =
        balance_columns(matrices, fold.channels, [&fold](std::size_t j) { return fold.column_to_factor(j); }, rule);
    // A norm weight (the first divided tensor of a norm fold) must store gamma / c exactly.
    const ModelTensor* norm = model.find(fold.divided.front());
    if (norm != nullptr && norm->info->shape.size() == 1 && is_float_weight_dtype(norm->info->dtype)) {
      const std::vector<float> gamma = model.read_float(*norm);
      std::vector<float> target(gamma.size());
      for (std::size_t i = 0; i < gamma.size(); ++i) target[i] = gamma[i] / c[i];
      std::vector<std::byte> stored(target.size() * dtype_size(norm->info->dtype));
      convert_from_float(target, norm->info->dtype, stored);
      convert_to_float(norm->info->dtype, stored, target);
      for (std::size_t i = 0; i < gamma.size(); ++i)
        if (target[i] != 0.0f && std::isfinite(target[i]) && gamma[i] != 0.0f) c[i] = gamma[i] / target[i];
    }
    factors.push_back(std::move(c));
  }
  return factors;
}

EqualizeSummary equalize_model(ModelDirectory& model, const EqualizeOptions& options) {
  const auto folds = selected_folds(model, options);
  const auto factors = fold_factors(model, folds, options.rule);

  EqualizeSummary summary;
  summary.folds = folds.size();
  std::map<std::string, TensorFactors> by_tensor;
  for (std::size_t f = 0; f < folds.size(); ++f) {
    const Fold& fold = folds[f];
    const std::vector<float>& c = factors[f];
    for (float v : c) {
      const double e = std::log2(v);
      summary.channels += 1;
      summary.channels_changed += v != 1.0f;
      summary.min_log2 = std::min(summary.min_log2, e);
      summary.max_log2 = std::max(summary.max_log2, e);
    }
    for (const auto& name : fold.scaled_columns) {
      const ModelTensor& t = float_tensor(model, name, 2);
      auto& columns = by_tensor[name].columns;
      columns.resize(static_cast<std::size_t>(t.info->shape[1]), 1.0f);
      for (std::size_t j = 0; j < columns.size(); ++j) columns[j] *= c[fold.column_to_factor(j)];
    }
    for (const auto& name : fold.divided) {
      const ModelTensor* t = model.find(name);
      if (t == nullptr) fail("--equalize: {} has no tensor '{}'", model.path().string(), name);
      const ModelTensor& checked = float_tensor(model, name, t->info->shape.size());
      if (checked.info->shape.empty() || checked.info->shape[0] != static_cast<std::int64_t>(fold.channels))
        fail("--equalize: tensor '{}' should have {} entries along its first dimension", name, fold.channels);
      auto& dim0 = by_tensor[name].dim0;
      dim0.resize(fold.channels, 1.0f);
      for (std::size_t i = 0; i < dim0.size(); ++i) dim0[i] /= c[i];
    }
  }
  if (by_tensor.empty()) return summary;

  // The rescaled tensors, in the model's order.
  std::vector<const ModelTensor*> changed;
  for (const auto& t : model.tensors())
    if (by_tensor.contains(t.name())) changed.push_back(&t);
  std::vector<TensorSpec> specs;
  for (const auto* t : changed) specs.push_back({t->name(), t->info->dtype, t->info->shape});
  summary.tensors = changed.size();

  const fs::path parent = options.temp_parent.empty() ? fs::temp_directory_path() : options.temp_parent;
  TemporaryDirectory temp(parent);
  const fs::path file = temp.path() / "equalized.safetensors";
  {
    SafetensorsWriter writer(file, specs, {{"format", "pt"}});
    for (const auto* t : changed) {
      const TensorFactors& f = by_tensor.at(t->name());
      std::vector<float> values = model.read_float(*t);
      const std::size_t rows = static_cast<std::size_t>(t->info->shape[0]);
      const std::size_t cols = rows == 0 ? 0 : values.size() / rows;  // an empty tensor has nothing to scale
      const auto scale = [&](std::size_t k) {
        return (f.dim0.empty() ? 1.0f : f.dim0[k / cols]) * (f.columns.empty() ? 1.0f : f.columns[k % cols]);
      };
      std::vector<float> scaled(values.size());
      for (std::size_t k = 0; k < values.size(); ++k) scaled[k] = values[k] * scale(k);
      std::vector<std::byte> bytes(values.size() * dtype_size(t->info->dtype));
      convert_from_float(scaled, t->info->dtype, bytes);
      convert_to_float(t->info->dtype, bytes, scaled);
      for (std::size_t k = 0; k < values.size(); ++k)
        if (std::isfinite(values[k]) && !std::isfinite(scaled[k]))
          fail("--equalize: rescaling tensor '{}' by {} overflows {} (value {}); convert with --dtype float32 or "
               "leave out --equalize",
               t->name(), scale(k), dtype_name(t->info->dtype), values[k]);
      writer.write(t->name(), bytes);
    }
    writer.finish();
  }
  model.overlay(file);
  return summary;  // `temp` (and the file) is removed here; the mapping stays valid.
}

std::string format_summary(const EqualizeSummary& s) {
  return fmt::format("equalized {} folds ({} tensors): {} of {} channel factors changed, within 2^{:.2f} .. 2^{:.2f}\n",
                     s.folds, s.tensors, s.channels_changed, s.channels, s.min_log2, s.max_log2);
}

}  // namespace swan::equalize
