// load_tokenizer: picks the implementation from the files of a model directory.
#include "swan/tokenizer/tokenizer.h"

#include "swan/core/error.h"
#include "swan/tokenizer/bpe_tokenizer.h"
#include "swan/tokenizer/json_file.h"
#include "swan/tokenizer/sentencepiece_tokenizer.h"
#include "swan/tokenizer/tokenizer_config.h"

namespace swan {

std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& model_dir) {
  if (!std::filesystem::is_directory(model_dir)) {
    fail("cannot load tokenizer: {} is not a directory", model_dir.string());
  }
  const auto config = read_tokenizer_config(model_dir / "tokenizer_config.json");
  const auto json_path = model_dir / "tokenizer.json";
  const auto sentencepiece_path = model_dir / "tokenizer.model";
  const bool has_sentencepiece = std::filesystem::exists(sentencepiece_path);
  if (std::filesystem::exists(json_path)) {
    const auto json = read_tokenizer_json(json_path);
    // Llama-2-style directories ship a non-byte-level tokenizer.json (Metaspace) next to
    // tokenizer.model; the SentencePiece model is the reference for those.
    if (!has_sentencepiece || BpeTokenizer::is_byte_level_bpe(json)) {
      return std::make_unique<BpeTokenizer>(json, config, json_path.string());
    }
  }
  if (has_sentencepiece) return std::make_unique<SentencePieceTokenizer>(sentencepiece_path, config);
  fail("no tokenizer in {}: expected tokenizer.json (byte-level BPE) or tokenizer.model "
       "(SentencePiece); copy the tokenizer files from the original HuggingFace model",
       model_dir.string());
}

}  // namespace swan
