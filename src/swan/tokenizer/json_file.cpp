#include "swan/tokenizer/json_file.h"

#include "swan/io/json_reader.h"

namespace swan {

nlohmann::json read_tokenizer_json(const std::filesystem::path& path) { return read_unordered_json_file(path); }

}  // namespace swan
