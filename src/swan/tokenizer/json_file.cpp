#include "swan/tokenizer/json_file.h"

#include <fstream>
#include <sstream>

#include "swan/core/error.h"

namespace swan {

nlohmann::json read_tokenizer_json(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot open {}: check that the file exists and is readable", path.string());
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) fail("cannot read {}", path.string());
  try {
    return nlohmann::json::parse(contents.str());
  } catch (const nlohmann::json::parse_error& error) {
    fail("{} is not valid JSON: {}", path.string(), error.what());
  }
}

}  // namespace swan
