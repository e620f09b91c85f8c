// End-to-end: no command writes over a file it reads, FIFOs are refused where a JSON or
// tokenizer file is expected, a manifest of another model is an error, config values from
// untrusted files are checked against the tensors before anything is sized by them, and
// sequences longer than an active sliding window are refused. Each case runs the `swan`
// program on a scratch copy of stories260k (Llama, 5 layers, SentencePiece).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <functional>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/fixtures.h"
#include "support/process.h"
#include "swan/io/model_directory.h"
#include "swan/io/safetensors_writer.h"

namespace swan {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

test::ProcessResult swan(std::vector<std::string> args) {
  args.insert(args.begin(), SWAN_BINARY);
  // No kill_after (it always waits its full time): a reader blocked on a FIFO would hit
  // ctest's timeout instead.
  return test::run_process(args);
}

std::string bytes_of(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A scratch copy of stories260k with config.json edited by `edit`, and a text to evaluate.
struct Stories {
  test::ScratchDir scratch;
  fs::path model = scratch / "stories260k";
  fs::path text = scratch / "text.txt";

  explicit Stories(const std::function<void(Json&)>& edit = [](Json&) {}) {
    fs::copy(test::fixture_path("models/stories260k"), model);
    for (const auto& entry : fs::directory_iterator(model))
      fs::permissions(entry.path(), fs::perms::owner_write, fs::perm_options::add);
    std::ifstream in(model / "config.json");
    Json config = Json::parse(in);
    edit(config);
    std::ofstream(model / "config.json", std::ios::trunc) << config.dump(2);
    std::ofstream out(text);
    for (int i = 0; i < 40; ++i) out << "Once upon a time there was a little girl named Lily. She liked to play. ";
  }
};

bool says(const test::ProcessResult& r, const std::string& text) { return r.err.find(text) != std::string::npos; }

TEST(InputSafety, AnalyzeRefusesToWriteTheManifestOverAShard) {
  Stories s;
  const auto shard = s.model / "model.safetensors";
  const std::string before = bytes_of(shard);
  for (const fs::path& target : {shard, s.model / ".." / "stories260k" / "model.safetensors"}) {
    const auto r = swan({"analyze", s.model.string(), "-o", target.string(), "--quiet"});
    EXPECT_EQ(r.exit_code, 1) << target << r.err;
    EXPECT_TRUE(says(r, "an input of this command") || says(r, "that this command reads")) << r.err;
  }
  EXPECT_EQ(bytes_of(shard), before);
  // (A new file beside the shards is allowed: tests/io/input_output_paths_test.cpp.)
}

TEST(InputSafety, EvalSaveBaseRefusesItsOwnInputs) {
  Stories s;
  const std::string text_before = bytes_of(s.text);
  const std::string config_before = bytes_of(s.model / "config.json");
  for (const fs::path& target : {s.text, s.model / "model.safetensors", s.model / "config.json"}) {
    const auto r = swan({"eval", "kld", s.model.string(), s.model.string(), "--text", s.text.string(), "--ctx", "64",
                         "--chunks", "1", "--save-base", target.string()});
    EXPECT_EQ(r.exit_code, 1) << target << r.err;
    EXPECT_TRUE(says(r, "--save-base")) << r.err;
  }
  EXPECT_EQ(bytes_of(s.text), text_before);
  EXPECT_EQ(bytes_of(s.model / "config.json"), config_before);
}

TEST(InputSafety, FifosWhereJsonOrTokenizerFilesBelongAreRefused) {
  for (const char* file : {"config.json", "tokenizer_config.json", "tokenizer.model"}) {
    Stories s;
    fs::remove(s.model / file);
    ASSERT_EQ(::mkfifo((s.model / file).c_str(), 0600), 0);
    const auto r = swan({"eval", "ppl", s.model.string(), "--text", s.text.string(), "--ctx", "64", "--chunks", "1"});
    EXPECT_EQ(r.exit_code, 1) << file << ": " << r.err;
    EXPECT_TRUE(says(r, "not a regular file")) << file << ": " << r.err;
  }
}

TEST(InputSafety, AManifestOfAnotherModelIsAnError) {
  Stories s;
  // A real manifest (of the edge-case model) with its tensors renamed as another model's.
  std::ifstream in(test::fixture_path("golden/swan-reference/swan-edge-cases_manifest_seed0.json"));
  Json manifest = Json::parse(in);
  for (auto& [file, shard] : manifest["shards"].items()) {
    Json renamed = Json::object();
    for (auto& [name, tensor] : shard["tensors"].items()) renamed["transformer.h." + name] = tensor;
    shard["tensors"] = renamed;
  }
  std::ofstream(s.scratch / "other.json") << manifest.dump();
  const auto r = swan({"quantize", s.model.string(), "--manifest", (s.scratch / "other.json").string(), "-o",
                       (s.scratch / "out").string(), "--quiet"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(says(r, "none of this model's")) << r.err;
  EXPECT_FALSE(fs::exists(s.scratch / "out"));
}

TEST(InputSafety, HugeLayerCountsAreCheckedAgainstTheTensorsFirst) {
  Stories s([](Json& c) { c["num_hidden_layers"] = 1000000000000LL; });
  const auto out = (s.scratch / "out").string();
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"eval", "ppl", s.model.string(), "--text", s.text.string(), "--ctx", "64"},
        std::vector<std::string>{"convert", s.model.string(), "-o", out, "-q", "--quiet"},
        std::vector<std::string>{"convert", s.model.string(), "-o", out, "--format", "gguf", "--type", "F16"}}) {
    const auto r = swan(args);
    EXPECT_EQ(r.exit_code, 1) << args[1] << ": " << r.err;
    EXPECT_TRUE(says(r, "num_hidden_layers")) << args[1] << ": " << r.err;
    EXPECT_FALSE(says(r, "bad_alloc")) << r.err;
  }
  EXPECT_FALSE(fs::exists(out));
}

TEST(InputSafety, ConvertChecksConfigSemanticsAgainstTheTensors) {
  struct Case {
    const char* key;
    Json value;
    const char* expected;
  };
  const Case cases[] = {
      {"vocab_size", 1024, "model.embed_tokens.weight"},     // embedding has 512 rows
      {"hidden_size", 128, "hidden_size 128"},               // projections are 64 wide
      {"num_key_value_heads", 3, "num_key_value_heads"},     // 8 heads are not a multiple of 3
      {"num_attention_heads", 6, "num_attention_heads"},     // 64 / 6 does not divide, head_dim given
      {"tie_word_embeddings", false, "lm_head.weight"},      // untied without a head
      {"torch_dtype", "float8", "torch_dtype"},               // not a dtype mlx_lm can cast to
  };
  for (const auto& c : cases) {
    Stories s([&](Json& config) { config[c.key] = c.value; });
    const auto out = s.scratch / "out";
    const auto r = swan({"convert", s.model.string(), "-o", out.string(), "-q", "--quiet"});
    EXPECT_EQ(r.exit_code, 1) << c.key << ": " << r.err;
    EXPECT_TRUE(says(r, c.expected)) << c.key << ": " << r.err;
    EXPECT_FALSE(fs::exists(out)) << c.key;
  }
}

TEST(InputSafety, AnalyzeNamesANonFiniteWeight) {
  Stories s;
  const fs::path shard = s.model / "model.safetensors";
  std::fstream file(shard, std::ios::in | std::ios::out | std::ios::binary);
  std::uint64_t header_size = 0;
  file.read(reinterpret_cast<char*>(&header_size), sizeof header_size);
  std::string header(header_size, '\0');
  file.read(header.data(), static_cast<std::streamsize>(header_size));
  const Json tensors = Json::parse(header);
  const std::string name = "model.layers.1.mlp.up_proj.weight";
  ASSERT_EQ(tensors.at(name).at("dtype"), "F32");
  const float nan = std::nanf("");
  file.seekp(static_cast<std::streamoff>(8 + header_size + tensors.at(name).at("data_offsets").at(0).get<std::uint64_t>() + 4 * 7));
  file.write(reinterpret_cast<const char*>(&nan), sizeof nan);
  file.close();
  const auto manifest = s.scratch / "manifest.json";
  const auto r = swan({"analyze", s.model.string(), "-o", manifest.string(), "--quiet"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(says(r, name) && says(r, "element 7") && says(r, "finite")) << r.err;
  EXPECT_FALSE(fs::exists(manifest));
}

TEST(InputSafety, AnUnstatedTieWithADistinctHeadWarnsAndKeepsTheHead) {
  Stories s([](Json& c) { c.erase("tie_word_embeddings"); });
  {  // Give the checkpoint its own lm_head (a copy of the embedding), as a transformers export might.
    const ModelDirectory source(test::fixture_path("models/stories260k"));
    std::vector<TensorSpec> specs;
    for (const auto& t : source.tensors()) specs.push_back({t.name(), t.info->dtype, t.info->shape});
    const ModelTensor* embedding = source.find("model.embed_tokens.weight");
    specs.push_back({"lm_head.weight", embedding->info->dtype, embedding->info->shape});
    fs::remove(s.model / "model.safetensors.index.json");
    SafetensorsWriter writer(s.model / "model.safetensors", specs, {{"format", "pt"}});
    for (const auto& t : source.tensors()) writer.write(t.name(), source.file(t).data(*t.info));
    writer.write("lm_head.weight", source.file(*embedding).data(*embedding->info));
    writer.finish();
  }
  const auto out = s.scratch / "out";
  const auto r = swan({"convert", s.model.string(), "-o", out.string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(says(r, "warning")) << r.err;
  EXPECT_TRUE(says(r, "lm_head.weight")) << r.err;
  std::ifstream in(out / "config.json");
  EXPECT_EQ(Json::parse(in).at("tie_word_embeddings"), false);
  EXPECT_TRUE(ModelDirectory(out).find("lm_head.weight") != nullptr);
  const auto inspected = swan({"inspect", out.string()});
  EXPECT_EQ(inspected.exit_code, 0) << inspected.out << inspected.err;
}

TEST(InputSafety, ContextsBeyondAnActiveSlidingWindowAreRefused) {
  Stories mistral([](Json& c) {
    c["model_type"] = "mistral";
    c["sliding_window"] = 32;
  });
  const auto beyond =
      swan({"eval", "ppl", mistral.model.string(), "--text", mistral.text.string(), "--ctx", "64", "--chunks", "1"});
  EXPECT_EQ(beyond.exit_code, 1) << beyond.err;
  EXPECT_TRUE(says(beyond, "sliding_window")) << beyond.err;
  const auto within =
      swan({"eval", "ppl", mistral.model.string(), "--text", mistral.text.string(), "--ctx", "32", "--chunks", "1"});
  EXPECT_EQ(within.exit_code, 0) << within.err;
  // A null window (Mistral v0.2 and later) is full attention: nothing to refuse.
  Stories off([](Json& c) {
    c["model_type"] = "mistral";
    c["sliding_window"] = nullptr;
  });
  const auto full = swan({"eval", "ppl", off.model.string(), "--text", off.text.string(), "--ctx", "64", "--chunks", "1"});
  EXPECT_EQ(full.exit_code, 0) << full.err;
}

}  // namespace
}  // namespace swan
