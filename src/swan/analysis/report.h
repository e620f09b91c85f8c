// Human- and machine-readable summaries of an analysis manifest, for the CLI's final
// screen: bits histogram by parameters, average bits, estimated size, the most
// sensitive analysed tensors.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "swan/analysis/manifest.h"

namespace swan::analysis {

std::string format_summary(const Manifest& manifest, const std::string& manifest_path);
nlohmann::ordered_json summary_json(const Manifest& manifest, const std::string& manifest_path);

}  // namespace swan::analysis
