// Decode throughput of `swan generate`'s loop (inference::generate: prefill, then one token at
// a time through the KV cache) on the dense qwen3-tiny-5.8m and the tiny MoE models, each
// as stored (bf16) and as swan's 4-bit g64 MLX conversion (written to a temp dir), in one run.
//
//   SWAN_SHARED_DIR=../shared decode_bench [new_tokens=128] [repeats=3]
//
// Greedy, a 16-token prompt, EOS ignored; reports the median decode rate (tokens after the
// first, per second) and the weight bytes each step reads. The MoE rows also give the expert
// parameters a token touches against those stored: only the picked experts run. A last row
// runs moe-tiny-mixtral with num_experts_per_tok raised to all 8 experts (same weights): the
// ratio to its top-2 row is what running only the picked experts saves.
// OpenMP threads: OMP_NUM_THREADS (on a shared machine also OMP_WAIT_POLICY=passive).
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include <fstream>

#include "swan/inference/generation.h"
#include "swan/io/model_directory.h"
#include "swan/mlx/layout.h"
#include "swan/mlx/writer.h"

namespace {

namespace fs = std::filesystem;

double median_decode_rate(const swan::inference::Model& model, std::size_t new_tokens, int repeats) {
  std::vector<std::int32_t> prompt(16);
  for (std::size_t i = 0; i < prompt.size(); ++i)
    prompt[i] = static_cast<std::int32_t>((i * 2654435761u) % model.vocab_size());
  swan::inference::GenerationSettings settings;
  settings.max_tokens = new_tokens;
  std::vector<double> rates;
  (void)swan::inference::generate(model, prompt, settings);  // warm-up: page in the weights
  for (int r = 0; r < repeats; ++r) rates.push_back(swan::inference::generate(model, prompt, settings).decode_tokens_per_second());
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

void run(const fs::path& source, const char* label, std::size_t new_tokens, int repeats) {
  const fs::path q4_dir = fs::temp_directory_path() / ("swan-decode-bench-" + std::to_string(::getpid()));
  fs::remove_all(q4_dir);
  {
    const swan::ModelDirectory directory(source);
    swan::mlx::write_mlx_model(directory, swan::mlx::mlx_lm_uniform_plan(directory, 4, 64), q4_dir);
  }
  for (const auto& [variant, dir] : {std::pair{"bf16", source}, std::pair{"4-bit g64", q4_dir}}) {
    const auto model = swan::inference::Model::load(dir);
    const auto& c = model.config();
    std::string experts;
    if (c.is_moe())
      experts = " (experts: " + std::to_string(c.moe.experts_per_token) + " of " + std::to_string(c.moe.num_experts) +
                " run per token)";
    std::printf("%-18s %-10s %9.1f tokens/s  weights %6.2f MB%s\n", label, variant,
                median_decode_rate(model, new_tokens, repeats), static_cast<double>(model.weights().stored_bytes()) / 1e6,
                experts.c_str());
  }
  fs::remove_all(q4_dir);
}

// The model with every expert active: config.json edited, weights linked.
void run_all_experts(const fs::path& source, std::size_t new_tokens, int repeats) {
  const fs::path dir = fs::temp_directory_path() / ("swan-decode-bench-all-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  nlohmann::ordered_json config = nlohmann::ordered_json::parse(std::ifstream(source / "config.json"));
  const auto experts = config.at("num_local_experts").get<int>();
  config["num_experts_per_tok"] = experts;
  std::ofstream(dir / "config.json") << config.dump(2);
  fs::create_symlink(fs::absolute(source / "model.safetensors"), dir / "model.safetensors");
  const auto model = swan::inference::Model::load(dir);
  std::printf("%-18s %-10s %9.1f tokens/s  (all %d experts run per token)\n", "moe-tiny-mixtral", "bf16",
              median_decode_rate(model, new_tokens, repeats), experts);
  fs::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::size_t new_tokens = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 128;
    const int repeats = argc > 2 ? std::atoi(argv[2]) : 3;
    const char* shared = std::getenv("SWAN_SHARED_DIR");
    const fs::path shared_dir = shared ? fs::path(shared) : fs::path(__FILE__).parent_path() / "../../shared";
    std::printf("decode, %zu new tokens after a 16-token prompt, %d OpenMP threads, median of %d\n", new_tokens,
                omp_get_max_threads(), repeats);
    run(shared_dir / "models/qwen3-tiny-5.8m", "qwen3-tiny-5.8m", new_tokens, repeats);
    run(shared_dir / "models/moe-tiny-qwen3", "moe-tiny-qwen3", new_tokens, repeats);
    run(shared_dir / "models/moe-tiny-mixtral", "moe-tiny-mixtral", new_tokens, repeats);
    run_all_experts(shared_dir / "models/moe-tiny-mixtral", new_tokens, repeats);
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "decode_bench: %s\n", error.what());
    return 1;
  }
}
