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
//
//   decode_bench --moe-scaling MODEL_DIR [new_tokens=32] [repeats=3]
//
// Decode cost against active parameters on one MoE model large enough for the expert
// arithmetic to dominate (make_synthetic_model qwen3-moe-decode): the model as configured
// (top-k) and with every expert run per token, same weights, in one run. Prints both rates,
// the weight bytes a token reads in each case (non-expert matrices except the embedding
// table, whose one row is negligible, plus k / E of the expert bytes) and the two ratios:
// if only the picked experts run, the speed ratio approaches the bytes ratio.
//
//   decode_bench --model MODEL [new_tokens=128] [repeats=3]
//
// One model (HF or MLX directory, or a GGUF file): its median decode rate alone, for
// comparisons with other engines on the same file (bench/llamacpp_decode.sh).
// OpenMP threads: OMP_NUM_THREADS (on a shared machine also OMP_WAIT_POLICY=passive).
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string_view>
#include <vector>

#include <fstream>

#include "swan/inference/generation.h"
#include "swan/io/model_directory.h"
#include "swan/mlx/layout.h"
#include "swan/mlx/writer.h"
#include "swan/model/tensor_role.h"

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

// A copy of an MoE model directory with every expert active: config.json edited
// (num_experts_per_tok = the expert count), every other file linked. Returns the count.
int write_all_experts_copy(const fs::path& source, const fs::path& dir) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  nlohmann::ordered_json config = nlohmann::ordered_json::parse(std::ifstream(source / "config.json"));
  const char* key = config.contains("num_local_experts") ? "num_local_experts" : "num_experts";
  const auto experts = config.at(key).get<int>();
  config["num_experts_per_tok"] = experts;
  std::ofstream(dir / "config.json") << config.dump(2);
  for (const auto& entry : fs::directory_iterator(source))
    if (entry.path().filename() != "config.json")
      fs::create_symlink(fs::absolute(entry.path()), dir / entry.path().filename());
  return experts;
}

void run_all_experts(const fs::path& source, std::size_t new_tokens, int repeats) {
  const fs::path dir = fs::temp_directory_path() / ("swan-decode-bench-all-" + std::to_string(::getpid()));
  const int experts = write_all_experts_copy(source, dir);
  const auto model = swan::inference::Model::load(dir);
  std::printf("%-18s %-10s %9.1f tokens/s  (all %d experts run per token)\n", "moe-tiny-mixtral", "bf16",
              median_decode_rate(model, new_tokens, repeats), experts);
  fs::remove_all(dir);
}

// Weight bytes one decode step reads with k of E experts per token.
double bytes_per_token(const swan::ModelDirectory& directory, int k, int experts) {
  double dense = 0.0, expert = 0.0;
  for (const auto& tensor : directory.tensors()) {
    const swan::model::TensorRole role = swan::model::tensor_role(tensor.name());
    if (swan::model::is_expert_role(role)) {
      expert += static_cast<double>(tensor.info->nbytes);
    } else if (tensor.info->shape.size() == 2 && role != swan::model::TensorRole::embedding) {
      dense += static_cast<double>(tensor.info->nbytes);
    }
  }
  return dense + expert * k / experts;
}

int run_moe_scaling(const fs::path& source, std::size_t new_tokens, int repeats) {
  const fs::path dir = fs::temp_directory_path() / ("swan-decode-bench-scaling-" + std::to_string(::getpid()));
  const int experts = write_all_experts_copy(source, dir);
  const auto top_k = swan::inference::Model::load(source);
  const int k = top_k.config().moe.experts_per_token;
  const double top_k_rate = median_decode_rate(top_k, new_tokens, repeats);
  const auto all = swan::inference::Model::load(dir);
  const double all_rate = median_decode_rate(all, new_tokens, repeats);
  fs::remove_all(dir);
  const swan::ModelDirectory directory(source);
  const double top_k_bytes = bytes_per_token(directory, k, experts);
  const double all_bytes = bytes_per_token(directory, experts, experts);
  std::printf("%s, %zu new tokens after a 16-token prompt, %d OpenMP threads, median of %d\n", source.c_str(),
              new_tokens, omp_get_max_threads(), repeats);
  std::printf("top-%d of %d experts: %8.2f tokens/s, %7.1f MB of weights per token\n", k, experts, top_k_rate,
              top_k_bytes / 1e6);
  std::printf("all %d experts:       %8.2f tokens/s, %7.1f MB of weights per token\n", experts, all_rate,
              all_bytes / 1e6);
  std::printf("speed top-%d / all: %.2fx; weight bytes all / top-%d: %.2fx\n", k, top_k_rate / all_rate, k,
              all_bytes / top_k_bytes);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc > 2 && std::string_view(argv[1]) == "--model") {
      const auto model = swan::inference::Model::load(argv[2]);
      std::printf("%.2f tokens/s\n", median_decode_rate(model, argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 128,
                                                        argc > 4 ? std::atoi(argv[4]) : 3));
      return 0;
    }
    if (argc > 2 && std::string_view(argv[1]) == "--moe-scaling")
      return run_moe_scaling(argv[2], argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 32,
                             argc > 4 ? std::atoi(argv[4]) : 3);
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
