#include "swan/sensitivity/measured_sensitivity.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <numeric>
#include <optional>
#include <random>

#include <omp.h>

#include "swan/core/error.h"
#include "swan/core/parallel_for.h"
#include "swan/eval/kl_divergence.h"
#include "swan/eval/log_softmax.h"
#include "swan/eval/token_scores.h"
#include "swan/inference/model.h"
#include "swan/io/model_directory.h"
#include "swan/quant/finite.h"
#include "swan/quant/ggml_quantize.h"

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

// Runs body(i) for i in [0, count), concurrently, each call on its thread alone: a forward
// pass inside gets a team of one (set explicitly — a region of one thread is inactive, so a
// region nested in it would still get the full team). A pass's float rounding depends on how
// many threads share it, so one thread per pass is what makes the sensitivities — and the
// plan — the same for any --threads; the cores are kept busy by running many passes at once
// (the sequences of a pass over the text, the probes of a round: run_probes).
template <typename Body>
void each_on_one_thread(std::size_t calls, const Body& body, Schedule schedule = Schedule::static_blocks) {
  const auto teams = std::min<std::size_t>(calls, static_cast<std::size_t>(omp_get_max_threads()));
  parallel_for(
      calls, static_cast<int>(teams),
      [&](std::size_t i) {
        omp_set_num_threads(1);  // this thread's regions only; the caller's setting is untouched
        body(i);
      },
      schedule);
}

// The float model's log-probabilities at every position of every sequence, [sequences *
// length, vocab], and each sequence's residual stream into `record` (for passes resumed from it).
std::vector<float> log_probs(const inference::Model& model, std::span<const std::int32_t> text, int length,
                             std::uint64_t& forward_tokens, std::vector<inference::ResidualStream>& record) {
  const std::size_t vocab = model.vocab_size();
  const auto sequence_length = static_cast<std::size_t>(length);
  const std::size_t sequences = text.size() / sequence_length;
  std::vector<float> out(text.size() * vocab);
  record.resize(sequences);
  each_on_one_thread(sequences, [&](std::size_t sequence) {
    const std::size_t start = sequence * sequence_length;
    const auto tokens = text.subspan(start, sequence_length);
    const auto logits = model.forward_recording(tokens, record[sequence]);
    for (std::size_t t = 0; t < tokens.size(); ++t)
      eval::log_softmax(std::span<const float>(logits).subspan(t * vocab, vocab),
                        std::span<float>(out).subspan((start + t) * vocab, vocab));
  });
  forward_tokens += text.size();
  return out;
}

// A quantized copy of one source tensor and the WeightMatrix view of it (the view points
// into the vectors, whose buffers survive moves of this struct).
struct QuantizedPart {
  std::vector<std::uint32_t> packed;  // MLX affine codes, with scales and biases
  std::vector<float> scales, biases;
  std::vector<std::byte> blocks;  // or ggml blocks
  double squared_error = 0.0, squared_norm = 0.0;
  inference::WeightMatrix matrix;
};

// `format` as the writer of its output stores it: MLX affine codes with the scales rounded to
// the tensor's dtype (kept as float32 here), or ggml blocks.
QuantizedPart quantize_part(const ModelDirectory& directory, const ModelTensor& tensor, const TargetFormat& format,
                            quant::ScaleMethod method) {
  const auto& info = *tensor.info;
  const auto rows = static_cast<std::size_t>(info.shape[0]);
  const auto cols = static_cast<std::size_t>(info.shape[1]);
  const std::vector<float> w = directory.read_float(tensor);
  if (const auto bad = quant::first_non_finite(w))
    fail("tensor '{}' holds a NaN or infinite value at element {}; fix the checkpoint", info.name, *bad);
  QuantizedPart q;
  std::vector<float> back(w.size());
  if (const auto* affine = std::get_if<quant::AffineFormat>(&format)) {
    q.packed.resize(rows * quant::packed_words_per_row(cols, affine->bits));
    q.scales.resize(rows * quant::groups_per_row(cols, affine->group_size));
    q.biases.resize(q.scales.size());
    quant::quantize_affine(w, rows, cols, *affine, info.dtype, q.packed, q.scales, q.biases, 0, method);
    quant::dequantize_affine(q.packed, q.scales, q.biases, rows, cols, *affine, back);
    q.matrix = inference::WeightMatrix::affine(info.name, std::as_bytes(std::span(q.packed)), DType::F32,
                                               std::as_bytes(std::span(q.scales)), std::as_bytes(std::span(q.biases)),
                                               rows, cols, *affine);
  } else {
    const quant::GgmlType type = std::get<quant::GgmlType>(format);
    q.blocks.resize(rows * quant::bytes_for(type, cols));
    quant::quantize_rows(type, w, rows, cols, q.blocks);
    quant::dequantize_rows(type, q.blocks, rows, cols, back);
    q.matrix = inference::WeightMatrix::ggml(info.name, type, q.blocks, rows, cols);
  }
  for (std::size_t i = 0; i < w.size(); ++i) {
    const double d = static_cast<double>(w[i]) - back[i];
    q.squared_error += d * d;
    q.squared_norm += static_cast<double>(w[i]) * w[i];
  }
  return q;
}

// A target quantized at one format: one part for a plain matrix, one per expert for an MoE
// projection whose experts are planned together (they share one decision).
struct QuantizedTarget {
  std::vector<QuantizedPart> parts;
  TargetFormat format;
  double relative_error = 0.0;  // of all parts together: sum of squared errors / sum of squared weights

  std::vector<inference::WeightMatrix> matrices() const {
    std::vector<inference::WeightMatrix> out;
    for (const auto& part : parts) out.push_back(part.matrix);
    return out;
  }
};

}  // namespace

plan::Sensitivities SensitivityReport::weights() const {
  plan::Sensitivities out;
  for (const auto& t : tensors) out[t.name] = t.sensitivity;
  return out;
}

struct SensitivityMeter::State {
  inference::Model model;
  ModelDirectory directory;
  std::vector<plan::PlanTarget> targets;
  SensitivityOptions options;
  std::vector<std::int32_t> text;
  std::vector<float> base;  // the float model's log-probabilities over `text`
  std::vector<inference::ResidualStream> float_streams;  // its residual streams, one per sequence
  std::uint64_t setup_tokens = 0;
  double setup_cpu_seconds = 0.0;

  // The tensors of target i in the checkpoint (several for stacked experts).
  std::vector<std::string> source_names(std::size_t i) const {
    return targets[i].sources.empty() ? std::vector<std::string>{targets[i].name} : targets[i].sources;
  }
  const ModelTensor& find_tensor(const std::string& name) const {
    const ModelTensor* found = directory.find(name);
    if (!found) fail("{}: no tensor '{}'", directory.path().string(), name);
    return *found;
  }
  // Target i's first source (all of a target's sources share shape and dtype).
  const ModelTensor& tensor(std::size_t i) const { return find_tensor(source_names(i).front()); }
  QuantizedTarget quantize(std::size_t i, const TargetFormat& format, quant::ScaleMethod method) const {
    QuantizedTarget q;
    q.format = format;
    double squared_error = 0.0, squared_norm = 0.0;
    for (const std::string& name : source_names(i)) {
      q.parts.push_back(quantize_part(directory, find_tensor(name), format, method));
      squared_error += q.parts.back().squared_error;
      squared_norm += q.parts.back().squared_norm;
    }
    q.relative_error = squared_norm > 0.0 ? squared_error / squared_norm : 0.0;
    return q;
  }
  // Puts `replacements` (one per source) in place of target i's matrices in `view` (a copy
  // of the model: the meter's own model stays the float one); returns the ones they replaced.
  std::vector<inference::WeightMatrix> swap(inference::Model& view, std::size_t i,
                                            std::vector<inference::WeightMatrix> replacements) const {
    const auto names = source_names(i);
    SWAN_CHECK(replacements.size() == names.size(), "target '{}': {} matrices for {} sources", targets[i].name,
               replacements.size(), names.size());
    for (std::size_t k = 0; k < names.size(); ++k)
      replacements[k] = view.swap_weight(names[k], std::move(replacements[k]));
    return replacements;
  }
  // The probe format fitted to a target's shape, or nothing when the target cannot be quantized.
  std::optional<quant::AffineFormat> probe_for(const ModelTensor& t) const {
    const auto fitted = plan::fit_group_size(
        plan::QuantDecision::quantized(options.probe.bits, options.probe.group_size), t.info->shape.back());
    if (!fitted.is_quantized() || t.info->shape.size() != 2) return std::nullopt;
    return quant::AffineFormat{fitted.bits, fitted.group_size};
  }
  // Mean KLD of `run` (the model or a view of it) from the float model, over the text
  // (recording its residual streams into `record` when given).
  double kld(const inference::Model& run, std::uint64_t& forward_tokens,
             std::vector<inference::ResidualStream>* record = nullptr,
             std::vector<eval::TokenScore>* scores = nullptr) const {
    const auto sequence_length = static_cast<std::size_t>(options.length);
    std::vector<eval::TokenComparison> compared(text.size());
    if (record) record->resize(static_cast<std::size_t>(options.sequences));
    each_on_one_thread(static_cast<std::size_t>(options.sequences), [&](std::size_t sequence) {
      const auto tokens = std::span<const std::int32_t>(text).subspan(sequence * sequence_length, sequence_length);
      compare_sequence(record ? run.forward_recording(tokens, (*record)[sequence]) : run.forward(tokens), sequence,
                       compared);
    });
    forward_tokens += text.size();
    return mean_kld(compared, scores);
  }

  // Each position of `sequence` against the float model: `logits` are the sequence's, the
  // comparisons go to its positions of `compared` (indexed over the whole text).
  void compare_sequence(std::span<const float> logits, std::size_t sequence,
                        std::span<eval::TokenComparison> compared) const {
    const std::size_t vocab = model.vocab_size();
    const auto length = static_cast<std::size_t>(options.length);
    std::vector<float> row(vocab);
    for (std::size_t t = 0; t < length; ++t) {
      const std::size_t p = sequence * length + t;
      eval::log_softmax(logits.subspan(t * vocab, vocab), row);
      const std::int32_t next = p + 1 < text.size() ? text[p + 1] : 0;
      compared[p] = eval::compare_token(std::span<const float>(base).subspan(p * vocab, vocab), row, next);
    }
  }
  // Mean KLD over the text, the positions added in text order (so the value does not depend
  // on which thread compared which sequence); each position's scores too when asked.
  static double mean_kld(std::span<const eval::TokenComparison> compared,
                         std::vector<eval::TokenScore>* scores = nullptr) {
    eval::KldAccumulator acc;
    for (const auto& c : compared) acc.add(c);
    if (scores) scores->assign(acc.token_scores().begin(), acc.token_scores().end());
    return acc.summary().kld_mean;
  }

  // Target `target` with `matrices` (one per source) in place of its own.
  struct Probe {
    std::size_t target = 0;
    QuantizedTarget quantized;  // the storage of `matrices` when they are a quantized copy
    std::vector<inference::WeightMatrix> matrices;
  };

  // For k in [0, count): make_probe(k) gives a probe, and done(k, probe, kld) gets the mean
  // KLD from the float model of `run` (the model or a view of it) with that probe in place,
  // each pass resumed from `streams` (recorded on `run`) at the probe's layer. Probes are
  // independent, so they run concurrently, each on its own view of `run` (a copy with its
  // matrices swapped in), every (probe, sequence) pass on one thread: all cores are
  // used however few sequences there are, and every KLD is bit-identical to measuring the
  // probes one after another. They run in batches of a few per thread, which bounds the
  // quantized copies and logits held at once. done() is called in order, never concurrently.
  template <typename MakeProbe, typename Done>
  void run_probes(const inference::Model& run, std::size_t count, const MakeProbe& make_probe,
                  const std::vector<inference::ResidualStream>& streams, std::uint64_t& forward_tokens,
                  const Done& done) const {
    const auto sequences = static_cast<std::size_t>(options.sequences);
    const auto length = static_cast<std::size_t>(options.length);
    const auto threads = static_cast<std::size_t>(omp_get_max_threads());
    const std::size_t batch = std::max<std::size_t>(1, (2 * threads + sequences - 1) / sequences);
    for (std::size_t start = 0; start < count; start += batch) {
      const std::size_t n = std::min(batch, count - start);
      std::vector<Probe> probes(n);
      each_on_one_thread(n, [&](std::size_t k) { probes[k] = make_probe(start + k); });
      std::vector<inference::Model> views(n, run);
      std::vector<std::size_t> first_layer(n);
      for (std::size_t k = 0; k < n; ++k) {
        swap(views[k], probes[k].target, probes[k].matrices);
        first_layer[k] = run.first_layer_reading(source_names(probes[k].target).front());
      }
      std::vector<std::vector<eval::TokenComparison>> compared(n, std::vector<eval::TokenComparison>(text.size()));
      each_on_one_thread(
          n * sequences,
          [&](std::size_t item) {
            const std::size_t k = item / sequences, sequence = item % sequences;
            const auto tokens = std::span<const std::int32_t>(text).subspan(sequence * length, length);
            compare_sequence(views[k].forward_from(tokens, first_layer[k], streams.at(sequence)), sequence, compared[k]);
          },
          Schedule::dynamic);
      for (std::size_t k = 0; k < n; ++k) {
        forward_tokens += text.size();
        done(start + k, probes[k], mean_kld(compared[k]));
      }
    }
  }
};

SensitivityMeter::SensitivityMeter(const std::filesystem::path& model_dir, std::span<const plan::PlanTarget> targets,
                                   const SensitivityOptions& options) {
  SWAN_CHECK(options.sequences > 0 && options.length > 1, "sensitivity text needs sequences > 0 and length > 1");
  const double cpu_start = process_cpu_seconds();
  state_ = std::unique_ptr<State>(new State{inference::Model::load(model_dir), ModelDirectory(model_dir),
                                            {targets.begin(), targets.end()}, options, {}, {}, {}, 0, 0.0});
  State& s = *state_;
  if (!s.model.config().bos_token_id)
    fail("{}: config.json has no bos_token_id; measured sensitivity starts the model's own text from BOS",
         model_dir.string());
  std::mt19937_64 rng(options.seed ^ 0x5357414e53454e53ull);  // "SWANSENS"
  const auto bos = static_cast<std::int32_t>(*s.model.config().bos_token_id);
  const std::size_t vocab = s.model.vocab_size();
  // Sequences one after another (they share one random stream), each step on one thread
  // (each_on_one_thread says why) — a one-token step is too small to share anyway.
  for (int seq = 0; seq < options.sequences; ++seq) {
    // One token at a time over a KV cache: each step pays for its own token only.
    inference::KvCache cache = s.model.make_cache();
    std::vector<std::int32_t> tokens{bos};
    while (static_cast<int>(tokens.size()) < options.length) {
      std::vector<float> logits;
      each_on_one_thread(1, [&](std::size_t) { logits = s.model.forward(std::span(&tokens.back(), 1), &cache, nullptr); });
      s.setup_tokens += 1;
      tokens.push_back(sample(std::span<const float>(logits).first(vocab), options.top_p, rng));
    }
    s.text.insert(s.text.end(), tokens.begin(), tokens.end());
  }
  s.base = log_probs(s.model, s.text, options.length, s.setup_tokens, s.float_streams);
  s.setup_cpu_seconds = process_cpu_seconds() - cpu_start;
}

SensitivityMeter::~SensitivityMeter() = default;

SensitivityReport SensitivityMeter::isolated(quant::ScaleMethod scales, const SensitivityProgress& progress) {
  State& s = *state_;
  const double cpu_start = process_cpu_seconds();
  SensitivityReport report;
  report.text = s.text;
  report.forward_tokens = s.setup_tokens;
  std::vector<std::size_t> probed;  // the targets a probe format fits
  std::vector<quant::AffineFormat> formats;
  for (std::size_t i = 0; i < s.targets.size(); ++i)
    if (const auto probe = s.probe_for(s.tensor(i))) {
      probed.push_back(i);
      formats.push_back(*probe);
    }
  s.run_probes(
      s.model, probed.size(),
      [&](std::size_t k) {
        State::Probe probe{probed[k], s.quantize(probed[k], formats[k], scales), {}};
        probe.matrices = probe.quantized.matrices();
        return probe;
      },
      s.float_streams, report.forward_tokens,
      [&](std::size_t k, const State::Probe& probe, double kld) {
        TensorSensitivity t;
        t.name = s.targets[probe.target].name;
        t.probe = formats[k];
        t.relative_error = probe.quantized.relative_error;
        t.kld = kld;
        t.sensitivity = t.relative_error > 0.0 ? t.kld / t.relative_error : 0.0;
        report.tensors.push_back(t);
        if (progress && probe.target + 1 < s.targets.size()) progress(probe.target + 1, s.targets.size());
      });
  if (progress) progress(s.targets.size(), s.targets.size());
  report.cpu_seconds = s.setup_cpu_seconds + (process_cpu_seconds() - cpu_start);
  return report;
}

double SensitivityMeter::plan_kld(const PlacedPlan& plan) { return in_context(plan, {}, /*slopes=*/false).plan_kld; }

std::vector<eval::TokenScore> SensitivityMeter::plan_scores(const PlacedPlan& plan) {
  return in_context(plan, {}, /*slopes=*/false).plan_scores;
}

double SensitivityMeter::plan_kld(const plan::QuantPlan& plan) { return plan_kld(placed_plan(plan, state_->targets)); }

SensitivityReport SensitivityMeter::in_context(const PlacedPlan& plan, const SensitivityProgress& progress) {
  return in_context(plan, progress, /*slopes=*/true);
}

SensitivityReport SensitivityMeter::in_context(const plan::QuantPlan& plan, const SensitivityProgress& progress) {
  return in_context(placed_plan(plan, state_->targets), progress, /*slopes=*/true);
}

PlacedPlan placed_plan(const plan::QuantPlan& plan, std::span<const plan::PlanTarget> targets) {
  PlacedPlan out;
  out.scales = plan.scale_method();
  for (const auto& target : targets) {
    const plan::TensorPlan* decided = plan.find(target.name);
    if (decided && decided->decision.is_quantized())
      out.formats.emplace_back(quant::AffineFormat{decided->decision.bits, decided->decision.group_size});
    else
      out.formats.emplace_back();
  }
  return out;
}

SensitivityReport SensitivityMeter::in_context(const PlacedPlan& plan, const SensitivityProgress& progress,
                                               bool slopes) {
  State& s = *state_;
  SWAN_CHECK(plan.formats.size() == s.targets.size(), "placed plan: {} formats for {} targets", plan.formats.size(),
             s.targets.size());
  const double cpu_start = process_cpu_seconds();
  SensitivityReport report;
  report.text = s.text;
  // The whole plan in place, in a view of the model; the float originals kept to restore.
  inference::Model placed_model = s.model;
  std::vector<QuantizedTarget> planned(s.targets.size());
  std::vector<std::optional<std::vector<inference::WeightMatrix>>> originals(s.targets.size());
  for (std::size_t i = 0; i < s.targets.size(); ++i) {
    if (!plan.formats[i] || s.tensor(i).info->shape.size() != 2) continue;
    planned[i] = s.quantize(i, *plan.formats[i], plan.scales);
    originals[i] = s.swap(placed_model, i, planned[i].matrices());
  }
  std::vector<inference::ResidualStream> plan_streams;
  report.plan_kld = s.kld(placed_model, report.forward_tokens, slopes ? &plan_streams : nullptr, &report.plan_scores);
  // A target the plan quantizes is probed by restoring it to float (what that gives back), a
  // float one by quantizing it at the probe format (what that costs).
  std::vector<std::size_t> probed;
  std::vector<std::optional<quant::AffineFormat>> probe_formats;  // nothing: restore the original
  for (std::size_t i = 0; slopes && i < s.targets.size(); ++i) {
    if (originals[i]) {
      probed.push_back(i);
      probe_formats.emplace_back();
    } else if (const auto probe = s.probe_for(s.tensor(i))) {
      probed.push_back(i);
      probe_formats.push_back(*probe);
    }
  }
  s.run_probes(
      placed_model, probed.size(),
      [&](std::size_t k) {
        const std::size_t i = probed[k];
        State::Probe probe{i, {}, {}};
        if (probe_formats[k]) {
          probe.quantized = s.quantize(i, *probe_formats[k], plan.scales);
          probe.matrices = probe.quantized.matrices();
        } else {
          probe.matrices = *originals[i];
        }
        return probe;
      },
      plan_streams, report.forward_tokens,
      [&](std::size_t k, const State::Probe& probe, double kld) {
        const std::size_t i = probe.target;
        TensorSensitivity t;
        t.name = s.targets[i].name;
        if (probe_formats[k]) {
          t.probe = *probe_formats[k];
          t.relative_error = probe.quantized.relative_error;
          t.kld = kld - report.plan_kld;
        } else {
          t.probe = planned[i].format;
          t.relative_error = planned[i].relative_error;
          t.kld = report.plan_kld - kld;
        }
        t.sensitivity = t.relative_error > 0.0 ? std::max(t.kld, 0.0) / t.relative_error : 0.0;
        report.tensors.push_back(t);
        if (progress && i + 1 < s.targets.size()) progress(i + 1, s.targets.size());
      });
  if (progress) progress(s.targets.size(), s.targets.size());
  report.cpu_seconds = process_cpu_seconds() - cpu_start;
  return report;
}

}  // namespace swan::sensitivity
