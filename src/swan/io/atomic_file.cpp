#include "swan/io/atomic_file.h"

#include <unistd.h>

#include <fstream>
#include <string>

#include "swan/core/error.h"

namespace swan {

namespace {
// The path with symlinks and ".." resolved as far as it exists; the rest appended.
std::filesystem::path resolved(const std::filesystem::path& path) {
  std::error_code ec;
  auto result = std::filesystem::weakly_canonical(std::filesystem::absolute(path, ec), ec);
  return ec ? path.lexically_normal() : result;
}

bool is_inside(const std::filesystem::path& inner, const std::filesystem::path& outer) {
  auto o = outer.begin();
  auto i = inner.begin();
  for (; o != outer.end(); ++o, ++i)
    if (i == inner.end() || *i != *o) return false;
  return true;
}

// The files of a model directory that swan's commands read (weights, configs, tokenizers).
bool is_model_file(const std::string& name) {
  if (name.ends_with(".safetensors") || name.ends_with(".gguf") || name.starts_with("tokenizer")) return true;
  for (const char* read : {"config.json", "generation_config.json", "model.safetensors.index.json",
                           "special_tokens_map.json", "chat_template.jinja", "vocab.json", "merges.txt"})
    if (name == read) return true;
  return false;
}
}  // namespace

void require_output_apart_from_inputs(const std::filesystem::path& output, std::span<const std::filesystem::path> inputs,
                                      std::string_view what) {
  namespace fs = std::filesystem;
  const fs::path out = resolved(output);
  for (const auto& input : inputs) {
    const fs::path in = resolved(input);
    if (is_inside(in, out))
      fail("{} would be written to {}, which {} {}, an input of this command; choose another output path",
           what, output.string(), in == out ? "is" : "holds", input.string());
    std::error_code ec;
    if (fs::is_directory(in, ec) && out.parent_path() == in && is_model_file(out.filename().string()))
      fail("{} would be written to {}, a file of the input directory {} that this command reads; choose another "
           "output path",
           what, output.string(), input.string());
  }
}

void write_file_atomically(const std::filesystem::path& path, std::string_view contents, std::string_view what) {
  // Same directory as the target so the rename is atomic; a crash leaves the old file intact.
  const std::filesystem::path temp = path.string() + ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) fail("cannot create {} to write {} (is the directory writable?)", temp.string(), what);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.flush();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(temp, ignored);
      fail("writing {} to {} failed (disk full?)", what, temp.string());
    }
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) {
    std::filesystem::remove(temp, ec);
    fail("cannot move {} into place at {}: {}", what, path.string(), ec.message());
  }
}

}  // namespace swan
