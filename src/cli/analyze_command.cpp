// `swan analyze MODEL_DIR`: SWAN's data-free per-tensor sensitivity analysis, written as
// a manifest that `swan convert --manifest` (and tools for the reference) can use.
#include <fmt/core.h>

#include <memory>
#include <thread>

#include "cli/commands.h"
#include "swan/io/atomic_file.h"
#include "swan/analysis/analyzer.h"
#include "swan/analysis/report.h"
#include "swan/core/progress.h"

namespace swan::cli {

void add_analyze_command(CLI::App& app) {
  struct Options {
    std::string directory;
    std::string output = "manifest.json";
    std::string thresholds = "cli";
    std::string noise_metric = "analytic";
    std::string svd = "sketch";
    std::string scales = "minmax";
    std::uint64_t seed = 0;
    int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    bool score_protected = false;
    bool no_svd = false;
    bool no_curves = false;
    bool json = false;
    bool quiet = false;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "analyze",
      "Measure how sensitive each tensor is to quantization, without calibration data (SWAN),\n"
      "and decide its precision. Four metrics per weight matrix: spectral concentration (SVD),\n"
      "excess kurtosis, output-noise sensitivity (range/RMS) and the error of 4-bit group-128\n"
      "round-to-nearest. Their weighted sum (0.20/0.45/0.15/0.20) picks 16, 8, 4 or 2 bits;\n"
      "names like embed_tokens, lm_head and *norm* are kept at 16 bits, 1-D tensors too.\n"
      "Writes a manifest in the reference's JSON layout (plus raw metric values and a\n"
      "fingerprint of the input) and prints a summary. Same seed -> same manifest, whatever\n"
      "the thread count.\n"
      "The manifest also holds each matrix's error curve (bytes and relative reconstruction\n"
      "error of every bits x group-size option, embeddings and lm_head included), which\n"
      "`swan plan` turns into an allocation under a byte budget.");
  cmd->add_option("MODEL_DIR", opts->directory, "HuggingFace model directory (safetensors, one or more shards)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("-o,--output", opts->output, "where to write the manifest (written atomically)")
      ->capture_default_str();
  cmd->add_option("--thresholds", opts->thresholds,
                  "bit thresholds on the composite score:\n"
                  "  cli    2-bit <= 0.10, 8-bit >= 0.45, 16-bit >= 0.85 (default: what the reference's\n"
                  "         `python -m smartquant analyze` actually runs)\n"
                  "  config 2-bit <= 0.10, 8-bit >= 0.65, 16-bit >= 0.90 (QuantConfig defaults, quoted\n"
                  "         in the reference README; fewer tensors promoted to 8 bits)")
      ->check(CLI::IsMember({"cli", "config"}))
      ->capture_default_str();
  cmd->add_option("--noise-metric", opts->noise_metric,
                  "output-noise sensitivity:\n"
                  "  analytic its expectation in closed form, range / (16 sqrt(12) RMS); deterministic,\n"
                  "           within the reference's seed-to-seed spread (default)\n"
                  "  sampled  the reference's random-probe procedure, with swan's seeded RNG")
      ->check(CLI::IsMember({"analytic", "sampled"}))
      ->capture_default_str();
  cmd->add_option("--svd", opts->svd,
                  "spectral concentration of matrices with both sides > 512 (the top 25 of the 256 leading\n"
                  "singular values over those 256; smaller matrices always use their exact SVD):\n"
                  "  sketch       the reference's estimate, torch.svd_lowrank(q=256, niter=2), seeded (default).\n"
                  "               It reads higher than the exact ratio (+0.01 to +0.03 on 896-wide matrices);\n"
                  "               SWAN's thresholds sit on that scale, so this reproduces the reference's\n"
                  "               decisions. Computed the cheapest way: through the smaller Gram matrix for\n"
                  "               elongated matrices (4864x896, embeddings), on the matrix for square ones\n"
                  "  sketch+exact the same scores, and the exact ratio recorded beside each sketch\n"
                  "               (raw.exact_concentration): the sketch then runs on the exact spectrum\n"
                  "               (an eigen-decomposition per matrix, ~1.3x the CPU time of `sketch`)\n"
                  "  exact        score the exact top-25-of-256 ratio (deterministic; decisions near a\n"
                  "               threshold then differ from the reference's)")
      ->check(CLI::IsMember({"sketch", "sketch+exact", "exact"}))
      ->capture_default_str();
  cmd->add_option("--seed", opts->seed,
                  "seed of --svd sketch and of --noise-metric sampled; each tensor's stream comes from\n"
                  "(seed, tensor name), so a seed gives the same manifest for any --threads")
      ->capture_default_str();
  cmd->add_option("--threads", opts->threads, "tensors analysed in parallel (memory: ~threads x the largest matrix)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd->add_flag("--score-protected", opts->score_protected,
                "also compute the scores of name-protected tensors (embeddings, lm_head, norms) as the\n"
                "reference does; their decision stays 16 bits. Off by default: it costs time (a large\n"
                "embedding dominates the run) and changes nothing");
  cmd->add_flag("--no-svd", opts->no_svd,
                "skip the SVD metric (its score counts as 0). For benchmarking the other metrics only:\n"
                "the decisions are then not SWAN's");
  cmd->add_flag("--no-curves", opts->no_curves,
                "skip the error curves (SWAN's decisions only; `swan plan` then cannot use the manifest)");
  cmd->add_option("--scales", opts->scales, "the quantizer the error curves measure: minmax or optimized")
      ->check(CLI::IsMember({"minmax", "optimized"}))
      ->capture_default_str();
  cmd->add_flag("--json", opts->json, "print the summary as JSON on stdout");
  cmd->add_flag("-q,--quiet", opts->quiet, "no progress line and no summary");
  cmd->callback([opts] {
    analysis::AnalysisOptions options;
    options.threshold_set = analysis::parse_threshold_set(opts->thresholds);
    options.noise_metric = analysis::parse_noise_metric(opts->noise_metric);
    options.seed = opts->seed;
    const bool record_exact = opts->svd == "sketch+exact";
    options.svd.estimator = analysis::parse_svd_estimator(record_exact ? "sketch" : opts->svd);
    if (record_exact) options.svd.route = analysis::SketchRoute::spectrum;
    options.threads = opts->threads;
    options.score_protected = opts->score_protected;
    options.measure_svd = !opts->no_svd;
    options.error_curves = !opts->no_curves;
    options.curve_scales = quant::parse_scale_method(opts->scales);

    const std::filesystem::path inputs[] = {opts->directory};
    require_output_apart_from_inputs(opts->output, inputs, "the manifest");
    const ModelDirectory model(opts->directory);
    const auto& tensors = model.tensors();
    Progress progress("analyze", tensors.size(), "tensors", !opts->quiet, model.total_weight_bytes());
    const auto manifest =
        analysis::analyze_model(model, opts->directory, options, [&](const analysis::AnalysisProgress& p) {
          progress.update(p.tensors_done, p.bytes_done);
        });
    progress.finish();
    analysis::write_manifest(manifest, opts->output);
    if (opts->json) {
      fmt::print("{}\n", analysis::summary_json(manifest, opts->output).dump(2));
    } else if (!opts->quiet) {
      fmt::print("{}", analysis::format_summary(manifest, opts->output));
    }
  });
}

}  // namespace swan::cli
