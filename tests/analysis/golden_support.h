// Shared helpers for the tests against the SWAN reference goldens
// (shared/golden/swan-reference, tolerances from its README). Header-only because the
// build compiles only *_test.cpp files from this folder.
#pragma once

#include <fstream>
#include <map>
#include <string>
#include <tuple>

#include <nlohmann/json.hpp>

#include "support/fixtures.h"
#include "swan/analysis/analyzer.h"

namespace swan::analysis::test {

inline nlohmann::json load_golden(const std::string& file) {
  std::ifstream in(swan::test::shared_path("golden/swan-reference/" + file));
  return nlohmann::json::parse(in);
}

// Analysis of shared/models/<model>, cached per (model, options) so several tests share one run.
inline const Manifest& analyzed_model(const std::string& model, ThresholdSet thresholds,
                                      NoiseMetric noise = NoiseMetric::analytic, bool score_protected = true) {
  static std::map<std::tuple<std::string, ThresholdSet, NoiseMetric, bool>, Manifest> cache;
  const auto key = std::make_tuple(model, thresholds, noise, score_protected);
  auto it = cache.find(key);
  if (it == cache.end()) {
    const ModelDirectory directory(swan::test::shared_path("models/" + model));
    AnalysisOptions options;
    options.threshold_set = thresholds;
    options.noise_metric = noise;
    options.score_protected = score_protected;
    options.record_time = false;
    it = cache.emplace(key, analyze_model(directory, "shared/models/" + model, options)).first;
  }
  return it->second;
}

}  // namespace swan::analysis::test
