// swan inspect's llama.cpp loader checks: llama.cpp's own files pass; copies of one with a
// single defect each (a key of the wrong type, an extra tensor, a missing tensor, a wrong
// shape, an Inf block scale) are each reported.
#include <gtest/gtest.h>

#include <cstring>

#include "support/fixtures.h"
#include "swan/gguf/inspect.h"
#include "swan/gguf/writer.h"

namespace swan::gguf {
namespace {

using quant::GgmlType;

std::filesystem::path golden(const std::string& file) { return test::shared_path("golden/gguf/" + file); }

TEST(GgufInspect, LlamaCppFilesPass) {
  SWAN_REQUIRE_FIXTURE(gguf_goldens, "golden/gguf/README.md");
  (void)gguf_goldens;
  for (const auto* f : {"llama-synth/llama-synth-Q4_K_M.gguf", "llama-synth/llama-synth-F32.gguf",
                        "qwen3-synth/qwen3-synth-Q4_K_M.gguf", "qwen3-synth/qwen3-synth-vocab.gguf"}) {
    const auto report = inspect_gguf(golden(f));
    EXPECT_TRUE(report.ok()) << f << ": " << (report.violations.empty() ? "" : report.violations[0]);
  }
  const auto report = inspect_gguf(golden("llama-synth/llama-synth-Q4_K.gguf"));
  EXPECT_EQ(report.tensors.size(), 12u);
  EXPECT_EQ(report.file_type, "Q4_K_M (15)");
  // 9 matrices of 256-element rows in Q4_K: 144 bytes per 256 weights = 4.5 bits.
  EXPECT_DOUBLE_EQ(8.0 * static_cast<double>(report.matrix_bytes) / static_cast<double>(report.matrix_elements), 4.5);
}

// A copy of llama-synth-Q8_0.gguf with `edit` applied to its metadata and tensor list.
struct Copy {
  Metadata metadata;
  std::vector<TensorDeclaration> tensors;
  std::vector<std::vector<std::byte>> data;
};

std::vector<std::string> violations_of(const std::function<void(Copy&)>& edit) {
  const GgufFile source(golden("llama-synth/llama-synth-Q8_0.gguf"));
  Copy copy{source.metadata(), {}, {}};
  for (const auto& t : source.tensors()) {
    copy.tensors.push_back({t.name, t.ne, t.type});
    const auto bytes = source.data(t);
    copy.data.emplace_back(bytes.begin(), bytes.end());
  }
  edit(copy);
  const test::ScratchDir dir;
  GgufWriter writer(dir / "copy.gguf", copy.metadata, copy.tensors, false);
  for (std::size_t i = 0; i < copy.tensors.size(); ++i) writer.write(copy.tensors[i].name, copy.data[i]);
  writer.commit();
  return inspect_gguf(dir / "copy.gguf").violations;
}

bool mentions(const std::vector<std::string>& violations, const std::string& part) {
  for (const auto& v : violations)
    if (v.find(part) != std::string::npos) return true;
  return false;
}

TEST(GgufInspect, ReportsEachDefect) {
  SWAN_REQUIRE_FIXTURE(gguf_goldens, "golden/gguf/README.md");
  (void)gguf_goldens;
  EXPECT_TRUE(violations_of([](Copy&) {}).empty());
  const auto mistyped = violations_of([](Copy& c) { c.metadata.set("llama.block_count", {ValueType::UINT64, std::uint64_t{1}, {}, {}}); });
  EXPECT_TRUE(mentions(mistyped, "llama.block_count has type UINT64")) << mistyped.size();
  const auto missing_key = violations_of([](Copy& c) { c.metadata.erase("llama.attention.layer_norm_rms_epsilon"); });
  EXPECT_TRUE(mentions(missing_key, "layer_norm_rms_epsilon is missing"));
  const auto extra = violations_of([](Copy& c) {
    c.tensors.push_back({"blk.0.attn_q_norm.weight", {64}, GgmlType::F32});
    c.data.emplace_back(256);
  });
  EXPECT_TRUE(mentions(extra, "blk.0.attn_q_norm.weight is not one"));
  const auto missing = violations_of([](Copy& c) {
    c.tensors.pop_back();
    c.data.pop_back();
  });
  EXPECT_TRUE(mentions(missing, "is missing"));
  const auto inf_scale = violations_of([](Copy& c) {
    for (std::size_t i = 0; i < c.tensors.size(); ++i)
      if (c.tensors[i].type == GgmlType::Q8_0) {
        const std::uint16_t inf = 0x7c00;
        std::memcpy(c.data[i].data() + 34 * 5, &inf, 2);  // the scale of block 5
        break;
      }
  });
  EXPECT_TRUE(mentions(inf_scale, "non-finite value or block scale at element 160"));
}

}  // namespace
}  // namespace swan::gguf
