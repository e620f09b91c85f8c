// `swan eval ppl MODEL` and `swan eval kld BASE MODEL`: what quantization cost, measured with
// swan's own CPU inference. Parses flags, calls swan::eval, prints the report.
#include <fmt/core.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "swan/analysis/fingerprint.h"
#include "swan/core/error.h"
#include "swan/eval/report.h"
#include "swan/eval/runner.h"
#include "swan/gguf/inspect.h"
#include "swan/mlx/inspect.h"

namespace swan::cli {
namespace {

constexpr const char* kProtocol =
    "Protocol (llama.cpp's llama-perplexity, so numbers are comparable with it): the whole --text\n"
    "file (one trailing newline dropped) is tokenized once, BOS first when the model's tokenizer\n"
    "adds BOS; the tokens are cut into non-overlapping chunks of --ctx tokens (a partial last chunk\n"
    "is dropped; --chunks N keeps the first N); each chunk runs from position 0 with its first\n"
    "token replaced by BOS (when the model uses BOS); only the second half is scored: logits rows\n"
    "ctx/2 … ctx-2, i.e. ctx-1-ctx/2 tokens per chunk (127 at --ctx 256, 255 at --ctx 512).\n"
    "PPL = exp(mean NLL); its ± is PPL × the standard error of the mean NLL.\n";

struct CommonOptions {
  std::string text;
  std::size_t ctx = eval::kDefaultContext;
  std::size_t chunks = 0;
  int threads = 0;
  std::string tokenizer;
  bool json = false;
  bool quiet = false;
  CLI::Option* ctx_option = nullptr;
  CLI::Option* chunks_option = nullptr;

  eval::RunSettings settings() const {
    eval::RunSettings s;
    if (ctx_option->count() > 0) s.ctx = ctx;
    if (chunks_option->count() > 0) s.chunks = chunks;
    s.threads = threads;
    if (!tokenizer.empty()) s.tokenizer_dir = tokenizer;
    s.progress = !quiet;  // stderr only, and only when it is a terminal: --json on stdout stays clean
    return s;
  }
};

void add_common_options(CLI::App* cmd, CommonOptions& o) {
  cmd->add_option("--text", o.text, "plain-text file to evaluate on (e.g. wikitext-2 wiki.test.raw)")
      ->required()
      ->type_name("FILE");
  o.ctx_option = cmd->add_option("--ctx", o.ctx, "tokens per chunk (default 512)")
                     ->check(CLI::Range(3, 1 << 20))
                     ->type_name("N");
  o.chunks_option =
      cmd->add_option("--chunks", o.chunks, "evaluate only the first N chunks (default: all)")
                        ->check(CLI::PositiveNumber)
                        ->type_name("N");
  cmd->add_option("--threads", o.threads, "CPU threads for the forward pass (default: all cores)")
      ->check(CLI::NonNegativeNumber)
      ->type_name("N");
  cmd->add_option("--tokenizer", o.tokenizer,
                  "HF directory whose tokenizer to use (default: the model's own; a GGUF file's tokenizer keys)")
      ->type_name("DIR")
      ->check(CLI::ExistingDirectory);
  cmd->add_flag("--json", o.json, "print the result as one JSON object on stdout");
  cmd->add_flag("--quiet", o.quiet, "no progress line on stderr");
}

// What `swan report` needs to place and check a result: the paths, the evaluated model's size
// (bits/weight as `swan inspect` counts it) and the base model's fingerprint. A model whose
// size cannot be read only loses those fields: the measurement itself stands.
void describe_models(nlohmann::ordered_json& j, const eval::KldRun& run) {
  if (run.base_dir) j["base"] = run.base_dir->string();
  j["model"] = run.model_dir.string();
  j["text"] = run.text_path.string();
  try {
    std::uint64_t params = 0, bytes = 0;
    if (std::filesystem::is_directory(run.model_dir)) {
      const auto summary = mlx::inspect_directory(run.model_dir).summary;
      params = summary.total_params, bytes = summary.total_bytes;
    } else if (gguf::looks_like_gguf(run.model_dir)) {
      const auto inspected = gguf::inspect_gguf(run.model_dir);
      params = inspected.total_elements, bytes = inspected.total_bytes;
    }
    if (params > 0) {
      j["model_total_params"] = params;
      j["model_total_bytes"] = bytes;
      j["model_bits_per_weight"] = 8.0 * static_cast<double>(bytes) / static_cast<double>(params);
    }
  } catch (const Error&) {
  }
  try {
    if (run.base_dir && std::filesystem::is_directory(*run.base_dir)) {
      auto& prints = j["base_fingerprint"] = nlohmann::ordered_json::array();
      for (const auto& f : analysis::fingerprint_model(ModelDirectory(*run.base_dir)))
        prints.push_back({{"file", f.file}, {"size", f.size}, {"header_fnv1a64", f.header_fnv1a64}});
    }
  } catch (const Error&) {
    j.erase("base_fingerprint");
  }
}

void add_ppl(CLI::App* eval) {
  struct Options : CommonOptions {
    std::string model;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = eval->add_subcommand(
      "ppl", std::string("Perplexity of MODEL (HF or MLX directory, or a GGUF file, tokenized by the tokenizer it carries) on a text.\n\n") + kProtocol +
                 "\nOutput: \"PPL = x ± y\" and the tokens scored. --json fields: ppl, ppl_stderr,\n"
                 "tokens_scored, chunks, ctx, seconds (the whole run), evaluation_seconds (the chunks'\n"
                 "forward passes and scoring, without reading, tokenizing and loading) and\n"
                 "tokens_per_second (chunks x ctx / evaluation_seconds).");
  cmd->add_option("MODEL", o->model, "model directory (HuggingFace or MLX quantized) or GGUF file")
      ->required()
      ->type_name("PATH")
      ->check(CLI::ExistingPath);
  add_common_options(cmd, *o);
  cmd->callback([o] {
    const auto report = eval::run_perplexity(o->model, o->text, o->settings());
    if (o->json) {
      fmt::print("{}\n", eval::perplexity_json(report).dump(2));
    } else {
      fmt::print("{}", eval::perplexity_text(report));
    }
  });
}

void add_kld(CLI::App* eval) {
  struct Options : CommonOptions {
    std::vector<std::string> models;
    std::string save_base;
    std::string base_logits;
    std::string save_scores;
    std::string paired;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = eval->add_subcommand(
      "kld",
      std::string(
          "KL-divergence of MODEL's next-token distribution from BASE's (e.g. a quantized model from\n"
          "its original), per scored token, with both models' perplexities on the same tokens.\n\n") +
          kProtocol +
          "\nBASE and MODEL must share the tokenizer and vocabulary (a quantized directory without\n"
          "tokenizer files, or a GGUF file, uses BASE's, or else the GGUF file's own; either may be a GGUF file). --save-base FILE also stores BASE's log-probabilities\n"
          "(float32 log-softmax, tokens scored × vocab × 4 bytes); --base-logits FILE reuses them\n"
          "instead of running BASE (then BASE may be omitted, and --ctx/--chunks default to the\n"
          "file's). A file made from another text, tokenizer, context or chunk count is refused.\n\n"
          "Fields (--json names; KLD in nats, per scored token):\n"
          "  ppl_base, ppl_model (± *_stderr)  perplexities on the same tokens (ppl = ppl_model)\n"
          "  ln_ppl_ratio ± ln_ppl_ratio_stderr  ln(PPL_model/PPL_base) = mean NLL difference;\n"
          "                                   paired error sqrt(se_m² + se_b² - 2 cov), as llama.cpp\n"
          "  kld_mean ± kld_stderr, kld_median, kld_p90, kld_p95, kld_p99, kld_p999, kld_max\n"
          "                                   KL(base ‖ model) = Σ p_base (ln p_base - ln p_model)\n"
          "  top1_agreement ± top1_agreement_stderr  % of tokens where both models' most likely\n"
          "                                   next token is the same\n"
          "  tokens_scored, chunks, ctx\n"
          "  base, model, text                paths as given; model_total_params, model_total_bytes,\n"
          "                                   model_bits_per_weight (as `swan inspect` counts them) and\n"
          "                                   base_fingerprint (the base's shard headers), for `swan report`\n\n"
          "Comparing two models: their mean KLDs each carry a standard error, but both are measured on\n"
          "the same tokens, so their difference is known far better than those bars suggest.\n"
          "--save-scores FILE keeps every scored token's KLD and NLLs (24 bytes per token); a later run\n"
          "over the same text, --ctx and --chunks against the same base, given --paired FILE, adds\n"
          "  paired.kld_difference ± paired.kld_difference_stderr   mean(KLD - KLD_other), the\n"
          "                                   standard error of the per-token differences' mean\n"
          "  paired.kld_ratio ± paired.kld_ratio_stderr   mean KLD / mean KLD_other (delta method)\n"
          "  paired.ln_ppl_ratio ± paired.ln_ppl_ratio_stderr   ln(PPL / PPL_other), paired\n"
          "  paired.other_kld_mean, paired.tokens\n"
          "e.g.  swan eval kld BASE A --text T --save-scores a.scores\n"
          "      swan eval kld BASE B --text T --paired a.scores   (B - A: negative = B is closer)");
  cmd->add_option("[BASE] MODEL", o->models,
                  "base model directory, then the model to compare (only MODEL with --base-logits)")
      ->required()
      ->expected(1, 2)
      ->type_name("PATH")
      ->check(CLI::ExistingPath);
  add_common_options(cmd, *o);
  auto* save = cmd->add_option("--save-base", o->save_base, "also write BASE's log-probs to FILE for reuse")->type_name("FILE");
  cmd->add_option("--base-logits", o->base_logits, "read BASE's log-probs from FILE (made with --save-base)")
      ->type_name("FILE")
      ->excludes(save);
  cmd->add_option("--save-scores", o->save_scores, "also write every scored token's KLD and NLLs to FILE")
      ->type_name("FILE");
  cmd->add_option("--paired", o->paired,
                  "compare MODEL token by token with the run whose --save-scores FILE this is")
      ->type_name("FILE")
      ->check(CLI::ExistingFile);
  cmd->callback([o] {
    eval::KldRun run;
    if (o->models.size() == 2) {
      run.base_dir = o->models[0];
      run.model_dir = o->models[1];
    } else {
      if (o->base_logits.empty()) {
        throw CLI::ValidationError("[BASE] MODEL", "give both BASE and MODEL (or MODEL with --base-logits FILE)");
      }
      run.model_dir = o->models[0];
    }
    run.text_path = o->text;
    if (!o->save_base.empty()) run.save_base = o->save_base;
    if (!o->base_logits.empty()) run.base_logits = o->base_logits;
    if (!o->save_scores.empty()) run.save_scores = o->save_scores;
    if (!o->paired.empty()) run.paired = o->paired;
    const auto report = eval::run_kl_divergence(run, o->settings());
    if (o->json) {
      auto j = eval::kl_divergence_json(report);
      describe_models(j, run);
      fmt::print("{}\n", j.dump(2));
    } else {
      fmt::print("{}", eval::kl_divergence_text(report));
    }
  });
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto* eval = app.add_subcommand(
      "eval",
      "Measure what quantization cost with swan's own CPU inference: perplexity (ppl) or\n"
      "KL-divergence from the original model (kld), with llama.cpp's perplexity protocol.");
  eval->require_subcommand(1);
  add_ppl(eval);
  add_kld(eval);
}

}  // namespace swan::cli
