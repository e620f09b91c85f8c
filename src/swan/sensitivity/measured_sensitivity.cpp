#include "swan/sensitivity/measured_sensitivity.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <numeric>
#include <random>

#include "swan/core/error.h"
#include "swan/eval/kl_divergence.h"
#include "swan/eval/log_softmax.h"
#include "swan/inference/model.h"
#include "swan/io/model_directory.h"
#include "swan/quant/finite.h"

namespace swan::sensitivity {
namespace {

double process_cpu_seconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

// One token from a row of logits: softmax, keep the smallest set of tokens whose mass
// reaches top_p, draw from it.
std::int32_t sample(std::span<const float> logits, double top_p, std::mt19937_64& rng) {
  const double lse = eval::log_sum_exp(logits);
  std::vector<std::pair<double, std::int32_t>> probs(logits.size());
  for (std::size_t v = 0; v < logits.size(); ++v)
    probs[v] = {std::exp(static_cast<double>(logits[v]) - lse), static_cast<std::int32_t>(v)};
  std::sort(probs.begin(), probs.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  double mass = 0.0;
  std::size_t keep = 0;
  while (keep < probs.size() && mass < top_p) mass += probs[keep++].first;
  const double u = std::uniform_real_distribution<double>(0.0, mass)(rng);
  double acc = 0.0;
  for (std::size_t i = 0; i < keep; ++i) {
    acc += probs[i].first;
    if (u < acc) return probs[i].second;
  }
  return probs[keep - 1].second;
}

// All positions' log-probabilities of every sequence, [sequences * length, vocab].
std::vector<float> log_probs(const inference::Model& model, std::span<const std::int32_t> text, int length,
                             std::uint64_t& forward_tokens) {
  const std::size_t vocab = model.vocab_size();
  std::vector<float> out(text.size() * vocab);
  for (std::size_t start = 0; start < text.size(); start += static_cast<std::size_t>(length)) {
    const auto tokens = text.subspan(start, static_cast<std::size_t>(length));
    auto logits = model.forward(tokens);
    forward_tokens += tokens.size();
    for (std::size_t t = 0; t < tokens.size(); ++t)
      eval::log_softmax(std::span<const float>(logits).subspan(t * vocab, vocab),
                        std::span<float>(out).subspan((start + t) * vocab, vocab));
  }
  return out;
}

// Owns a quantized copy of one tensor and the WeightMatrix view of it.
struct QuantizedCopy {
  std::vector<std::uint32_t> packed;
  std::vector<float> scales, biases;
  double relative_error = 0.0;
  inference::WeightMatrix matrix;
};

QuantizedCopy quantize_copy(const ModelDirectory& directory, const ModelTensor& tensor, quant::AffineFormat format) {
  const auto& info = *tensor.info;
  const auto rows = static_cast<std::size_t>(info.shape[0]);
  const auto cols = static_cast<std::size_t>(info.shape[1]);
  const std::vector<float> w = directory.read_float(tensor);
  if (const auto bad = quant::first_non_finite(w))
    fail("tensor '{}' holds a NaN or infinite value at element {}; fix the checkpoint", info.name, *bad);
  QuantizedCopy q;
  q.packed.resize(rows * quant::packed_words_per_row(cols, format.bits));
  q.scales.resize(rows * quant::groups_per_row(cols, format.group_size));
  q.biases.resize(q.scales.size());
  // Scales rounded to the tensor's dtype, as the writer stores them; kept as float32 here.
  quant::quantize_affine(w, rows, cols, format, info.dtype, q.packed, q.scales, q.biases);
  std::vector<float> back(w.size());
  quant::dequantize_affine(q.packed, q.scales, q.biases, rows, cols, format, back);
  double sse = 0.0, norm = 0.0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const double d = static_cast<double>(w[i]) - back[i];
    sse += d * d;
    norm += static_cast<double>(w[i]) * w[i];
  }
  q.relative_error = norm > 0.0 ? sse / norm : 0.0;
  q.matrix = inference::WeightMatrix::affine(info.name, std::as_bytes(std::span(q.packed)), DType::F32,
                                             std::as_bytes(std::span(q.scales)), std::as_bytes(std::span(q.biases)),
                                             rows, cols, format);
  return q;
}

}  // namespace

plan::Sensitivities SensitivityReport::weights() const {
  plan::Sensitivities out;
  for (const auto& t : tensors) out[t.name] = t.sensitivity;
  return out;
}

SensitivityReport measure_sensitivities(const std::filesystem::path& model_dir,
                                        std::span<const plan::PlanTarget> targets, const SensitivityOptions& options,
                                        const SensitivityProgress& progress) {
  SWAN_CHECK(options.sequences > 0 && options.length > 1, "sensitivity text needs sequences > 0 and length > 1");
  const double cpu_start = process_cpu_seconds();
  inference::Model model = inference::Model::load(model_dir);
  const ModelDirectory directory(model_dir);
  if (!model.config().bos_token_id)
    fail("{}: config.json has no bos_token_id; measured sensitivity starts the model's own text from BOS",
         model_dir.string());
  for (const auto& target : targets)
    if (target.sources.size() > 1)
      fail("measured sensitivity supports dense models only ('{}' stacks {} experts); use --sensitivity prior",
           target.name, target.sources.size());

  SensitivityReport report;
  std::mt19937_64 rng(options.seed ^ 0x5357414e53454e53ull);  // "SWANSENS"
  const auto bos = static_cast<std::int32_t>(*model.config().bos_token_id);
  const std::size_t vocab = model.vocab_size();
  for (int s = 0; s < options.sequences; ++s) {
    std::vector<std::int32_t> tokens{bos};
    while (static_cast<int>(tokens.size()) < options.length) {
      const auto logits = model.forward(tokens);
      report.forward_tokens += tokens.size();
      tokens.push_back(sample(std::span<const float>(logits).subspan((tokens.size() - 1) * vocab, vocab),
                              options.top_p, rng));
    }
    report.text.insert(report.text.end(), tokens.begin(), tokens.end());
  }

  const auto base = log_probs(model, report.text, options.length, report.forward_tokens);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const std::string& name = targets[i].sources.empty() ? targets[i].name : targets[i].sources.front();
    const ModelTensor* tensor = directory.find(name);
    if (!tensor) fail("{}: no tensor '{}'", model_dir.string(), name);
    TensorSensitivity t;
    t.name = targets[i].name;
    t.probe = options.probe;
    const auto fitted = plan::fit_group_size(plan::QuantDecision::quantized(options.probe.bits, options.probe.group_size),
                                             tensor->info->shape.back());
    if (!fitted.is_quantized() || tensor->info->shape.size() != 2) {  // stays float: nothing to weigh
      if (progress) progress(i + 1, targets.size());
      continue;
    }
    t.probe.group_size = fitted.group_size;
    QuantizedCopy copy = quantize_copy(directory, *tensor, t.probe);
    t.relative_error = copy.relative_error;
    inference::WeightMatrix original = model.swap_weight(name, std::move(copy.matrix));
    const auto probed = log_probs(model, report.text, options.length, report.forward_tokens);
    model.swap_weight(name, std::move(original));
    eval::KldAccumulator kld;
    for (std::size_t p = 0; p < report.text.size(); ++p) {
      const auto row = [&](const std::vector<float>& lp) { return std::span<const float>(lp).subspan(p * vocab, vocab); };
      const std::int32_t next = p + 1 < report.text.size() ? report.text[p + 1] : 0;
      kld.add(eval::compare_token(row(base), row(probed), next));
    }
    t.kld = kld.summary().kld_mean;
    t.sensitivity = t.relative_error > 0.0 ? t.kld / t.relative_error : 0.0;
    report.tensors.push_back(t);
    if (progress) progress(i + 1, targets.size());
  }
  report.cpu_seconds = process_cpu_seconds() - cpu_start;
  return report;
}

}  // namespace swan::sensitivity
