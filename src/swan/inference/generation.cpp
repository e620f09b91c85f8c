// The generation loop.
#include "swan/inference/generation.h"

#include <algorithm>
#include <chrono>

#include "swan/core/error.h"

namespace swan::inference {
namespace {
using Clock = std::chrono::steady_clock;
double seconds_between(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }
}  // namespace

double GenerationResult::decode_tokens_per_second() const {
  return generated.size() > 1 && decode_seconds > 0 ? static_cast<double>(generated.size() - 1) / decode_seconds : 0.0;
}

double GenerationResult::prompt_tokens_per_second(std::size_t prompt_tokens) const {
  return prompt_seconds > 0 ? static_cast<double>(prompt_tokens) / prompt_seconds : 0.0;
}

GenerationResult generate(const Model& model, std::span<const std::int32_t> prompt, const GenerationSettings& settings,
                          const std::function<void(std::int32_t)>& on_token) {
  if (prompt.empty()) fail("the prompt is empty: generation needs at least one token to continue");
  Sampler sampler(settings.sampler);
  KvCache cache = model.make_cache(settings.max_kv_size);
  const std::size_t vocab = model.vocab_size();
  GenerationResult result;
  const auto start = Clock::now();
  auto logits = model.forward(prompt, &cache, nullptr, {prompt.size() - 1, prompt.size()});  // sampling needs the last
  auto last = Clock::now();
  result.prompt_seconds = seconds_between(start, last);
  for (std::size_t step = 0; step < settings.max_tokens; ++step) {
    if (step > 0) {
      const std::int32_t previous = result.generated.back();
      logits = model.forward(std::span(&previous, 1), &cache, nullptr);
    }
    const std::int32_t token = sampler.next(std::span(logits).last(vocab));
    result.generated.push_back(token);
    if (step > 0) {
      const auto now = Clock::now();
      result.decode_seconds += seconds_between(last, now);
      last = now;
    } else {
      last = Clock::now();
    }
    if (on_token) on_token(token);
    if (std::find(settings.stop_ids.begin(), settings.stop_ids.end(), token) != settings.stop_ids.end()) break;
  }
  return result;
}

}  // namespace swan::inference
