// Decodes the PNG screenshots headless Chromium writes (8-bit RGB or RGBA, not interlaced),
// so browser tests can check what a page looks like: enough of the format for that, with
// every chunk's bounds checked. Throws std::runtime_error on anything else.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace swan::test {

struct Image {
  std::uint32_t width = 0, height = 0;
  std::vector<std::uint32_t> pixels;  // 0xRRGGBB, row-major (alpha dropped)
};

Image read_png(const std::filesystem::path& path);

}  // namespace swan::test
