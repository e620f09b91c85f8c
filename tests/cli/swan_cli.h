// What every CLI test needs: run the swan binary under test, read back a file it wrote.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "support/process.h"

namespace swan::test {

inline ProcessResult swan(std::vector<std::string> args) {
  args.insert(args.begin(), SWAN_BINARY);
  return run_process(args);
}

inline std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The note `--sensitivity measured` prints on stderr about its two plans.
struct RefinementNote {
  double first_kld = 0.0, refined_kld = 0.0;
  double difference = 0.0, difference_stderr = 0.0;  // refined - first, paired
  std::string kept;                                    // "first" or "refined"
  // The rule the note must follow: the refined plan only when clearly lower.
  std::string expected_kept() const { return difference + 2.0 * difference_stderr < 0.0 ? "refined" : "first"; }
};

inline std::optional<RefinementNote> refinement_note(const std::string& err) {
  static const std::regex note(
      "first plan measured at KLD ([0-9.e+-]+) on the model's own text, refined plan at KLD ([0-9.e+-]+) "
      "\\(difference ([0-9.e+-]+) ± ([0-9.e+-]+)\\): keeping the (first|refined) plan");
  std::smatch m;
  if (!std::regex_search(err, m, note)) return std::nullopt;
  return RefinementNote{std::stod(m[1].str()), std::stod(m[2].str()), std::stod(m[3].str()), std::stod(m[4].str()),
                        m[5].str()};
}

}  // namespace swan::test
