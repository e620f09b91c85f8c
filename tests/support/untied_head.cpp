#include "support/untied_head.h"

#include <cstring>
#include <fstream>
#include <vector>

#include "support/fixtures.h"
#include "swan/io/model_directory.h"
#include "swan/io/safetensors_writer.h"

namespace swan::test {

void write_stories260k_with_head(const std::filesystem::path& out, float head_scale, std::optional<bool> tie) {
  const ModelDirectory source(shared_path("models/stories260k"));
  std::vector<TensorSpec> specs;
  std::vector<std::vector<std::byte>> blobs;
  for (const ModelTensor& t : source.tensors()) {
    specs.push_back({t.name(), t.info->dtype, t.info->shape});
    const auto bytes = source.file(t).data(*t.info);
    blobs.emplace_back(bytes.begin(), bytes.end());
    if (t.name() == "model.embed_tokens.weight") {
      std::vector<float> head = source.read_float(t);
      for (float& w : head) w *= head_scale;
      specs.push_back({"lm_head.weight", DType::F32, t.info->shape});
      blobs.emplace_back(head.size() * 4);
      std::memcpy(blobs.back().data(), head.data(), head.size() * 4);
    }
  }
  SafetensorsWriter writer(out / "model.safetensors", specs, {{"format", "pt"}});
  for (std::size_t i = 0; i < specs.size(); ++i) writer.write(specs[i].name, blobs[i]);
  writer.finish();
  auto config = source.config();
  if (tie) {
    config["tie_word_embeddings"] = *tie;
  } else {
    config.erase("tie_word_embeddings");
  }
  std::ofstream(out / "config.json") << config.dump();
}

}  // namespace swan::test
