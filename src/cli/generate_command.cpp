// `swan generate MODEL --prompt TEXT`: continue a prompt with swan's CPU inference (any
// supported architecture; HF or MLX directory, or a GGUF file with the tokenizer it carries), streaming the text, with the decode rate at
// the end. Parses flags, wires tokenizer and swan::inference::generate together, prints.
#include <fmt/core.h>
#include <omp.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "swan/core/error.h"
#include "swan/gguf/inspect.h"
#include "swan/gguf/tokenizer_from_metadata.h"
#include "swan/inference/generation.h"
#include "swan/tokenizer/streaming_decoder.h"
#include "swan/tokenizer/tokenizer.h"

namespace swan::cli {
namespace {

std::vector<std::int32_t> parse_ids(const std::string& text) {
  std::vector<std::int32_t> ids;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    std::size_t used = 0;
    long long value = -1;
    try {
      value = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || value < 0 || value > INT32_MAX)
      throw CLI::ValidationError("--prompt-ids", fmt::format("'{}' is not a token id; give e.g. 1,2,3", item));
    ids.push_back(static_cast<std::int32_t>(value));
    start = comma + 1;
  }
  return ids;
}

bool has_tokenizer_files(const std::filesystem::path& dir) {
  return std::filesystem::exists(dir / "tokenizer.json") || std::filesystem::exists(dir / "tokenizer.model");
}

}  // namespace

void add_generate_command(CLI::App& app) {
  struct Options {
    std::string model, prompt, prompt_ids;
    std::size_t max_tokens = 128, max_kv_size = 0;
    double temperature = 0.0, top_p = 1.0;
    std::uint64_t seed = 0;
    int threads = 0;
    bool json = false, ignore_eos = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "generate",
      "Continue a prompt with swan's CPU inference (HF or MLX directory, or a GGUF file; dense or\n"
      "MoE), as "
      "mlx_lm.generate does: the prompt in one prefill, then one token at a time through a KV\n"
      "cache; greedy at --temp 0 (default). The text streams to stdout; prompt and generation\n"
      "rates (tokens/s) follow on stderr. --json prints one object instead: prompt_ids,\n"
      "generated_ids, text, tokens_per_second (decode), prompt_tokens_per_second.\n"
      "The prompt is tokenized as plain text (BOS first when the tokenizer adds one); a chat\n"
      "template in tokenizer_config.json is NOT applied. Generation stops after -n tokens or at\n"
      "an end-of-sequence token (config.json eos_token_id, the tokenizer's EOS) unless --ignore-eos.");
  cmd->add_option("MODEL", o->model,
                  "model directory (HuggingFace or MLX) or GGUF file (tokenized by its tokenizer.ggml.* keys)")
      ->required()
      ->type_name("DIR|FILE.gguf")
      ->check(CLI::ExistingPath);
  auto* prompt = cmd->add_option("--prompt,-p", o->prompt, "text to continue")->type_name("TEXT");
  auto* ids = cmd->add_option("--prompt-ids", o->prompt_ids, "exact prompt token ids instead, e.g. 1,2,3")
                  ->type_name("IDS")
                  ->excludes(prompt);
  prompt->excludes(ids);
  cmd->add_option("-n,--max-tokens", o->max_tokens, "tokens to generate (default 128)")->type_name("N");
  cmd->add_option("--temp", o->temperature, "sampling temperature; 0 = greedy (default)")
      ->check(CLI::NonNegativeNumber)
      ->type_name("T");
  cmd->add_option("--top-p", o->top_p, "nucleus sampling: keep the most likely tokens up to this mass (default 1)")
      ->check(CLI::Range(0.0, 1.0))
      ->type_name("P");
  cmd->add_option("--seed", o->seed, "random seed for sampling (default 0)")->type_name("S");
  cmd->add_option("--max-kv-size", o->max_kv_size,
                  "bound the KV cache to N entries (the first 4 and the newest), like mlx_lm; default unbounded")
      ->check(CLI::PositiveNumber)
      ->type_name("N");
  cmd->add_flag("--ignore-eos", o->ignore_eos, "do not stop at end-of-sequence tokens");
  cmd->add_option("--threads", o->threads, "CPU threads (default: all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--json", o->json, "print one JSON object instead of streaming text");
  cmd->callback([o, prompt, ids] {
    if (prompt->count() == 0 && ids->count() == 0)
      throw CLI::RequiredError("--prompt or --prompt-ids");
    if (o->threads > 0) omp_set_num_threads(o->threads);
    const std::filesystem::path dir(o->model);
    std::unique_ptr<Tokenizer> tokenizer;
    const bool gguf_file = std::filesystem::is_regular_file(dir);
    if (gguf_file && !gguf::looks_like_gguf(dir))
      fail("{} is a file but not a GGUF file (no \"GGUF\" magic): give a model directory or a GGUF file", dir.string());
    if (gguf_file) tokenizer = gguf::load_gguf_tokenizer(dir);
    else if (has_tokenizer_files(dir)) tokenizer = load_tokenizer(dir);
    std::vector<std::int32_t> prompt_ids;
    if (ids->count() > 0) {
      prompt_ids = parse_ids(o->prompt_ids);
    } else {
      if (!tokenizer)
        fail("{} has no tokenizer files (tokenizer.json / tokenizer.model): give the prompt as --prompt-ids, or copy "
             "the tokenizer files of the original model into it",
             dir.string());
      if (tokenizer->adds_bos()) prompt_ids.push_back(*tokenizer->bos_id());
      const auto encoded = tokenizer->encode(o->prompt);
      prompt_ids.insert(prompt_ids.end(), encoded.begin(), encoded.end());
    }
    const auto model = inference::Model::load(dir);
    for (auto id : prompt_ids)
      if (static_cast<std::size_t>(id) >= model.vocab_size())
        fail("prompt token id {} is outside the vocabulary of {} ({} tokens)", id, dir.string(), model.vocab_size());

    inference::GenerationSettings settings;
    settings.max_tokens = o->max_tokens;
    settings.sampler = {o->temperature, o->top_p, o->seed};
    settings.max_kv_size = o->max_kv_size;
    if (!o->ignore_eos) {
      settings.stop_ids.assign(model.config().eos_token_ids.begin(), model.config().eos_token_ids.end());
      if (tokenizer && tokenizer->eos_id()) settings.stop_ids.push_back(*tokenizer->eos_id());
    }
    std::optional<StreamingDecoder> stream;
    if (tokenizer) stream.emplace(*tokenizer);
    const bool streaming = !o->json;
    const auto result = inference::generate(model, prompt_ids, settings, [&](std::int32_t token) {
      if (!streaming) return;
      std::fputs(stream ? stream->push(token).c_str() : fmt::format("{} ", token).c_str(), stdout);
      std::fflush(stdout);
    });
    if (o->json) {
      nlohmann::ordered_json json;
      json["prompt_ids"] = prompt_ids;
      json["generated_ids"] = result.generated;
      json["text"] = tokenizer ? tokenizer->decode(result.generated) : std::string{};
      json["tokens_per_second"] = result.decode_tokens_per_second();
      json["prompt_tokens_per_second"] = result.prompt_tokens_per_second(prompt_ids.size());
      // Sampled bytes need not be whole UTF-8 characters (byte-fallback tokens): replace, do not throw.
      fmt::print("{}\n", json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
      return;
    }
    if (stream) std::fputs(stream->finish().c_str(), stdout);
    std::fputs("\n", stdout);
    std::fflush(stdout);
    fmt::print(stderr, "prompt: {} tokens, {:.1f} tokens/s\ngeneration: {} tokens, {:.1f} tokens/s\n",
               prompt_ids.size(), result.prompt_tokens_per_second(prompt_ids.size()), result.generated.size(),
               result.decode_tokens_per_second());
  });
}

}  // namespace swan::cli
