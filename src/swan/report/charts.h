// The report's charts, each an inline SVG string drawn from ReportData (svg.h does the
// scales and axes). Every chart carries its section id (report_data.h) as its SVG id, and an
// x and a y axis label. A chart is only drawn when its section has data; html_page.h shows
// the section's explanation otherwise.
#pragma once

#include <string>

#include "swan/report/report_data.h"

namespace swan::report {

// Rows = layers (plus a strip for tensors outside the layers), columns = modules; a cell per
// quantizable tensor, coloured by bits, with bits/group size, bytes and error in its <title>
// and the tensor's name in data-tensor.
std::string heatmap_svg(const ReportData& data);
// Bytes per tensor role, each bar stacked by bits.
std::string bytes_by_module_svg(const ReportData& data);
// Share of parameters per (bits, group size).
std::string bits_histogram_svg(const ReportData& data);
// Planner's frontier (bytes vs predicted error, log) with the reported allocation and budget.
std::string frontier_svg(const Frontier& frontier);
// SWAN composite score (or kurtosis) vs relative error at 4-bit, log; with Spearman's rho.
std::string metric_scatter_svg(const ReportData& data);
// Variants: bits/weight vs mean KLD (log) with error bars; Pareto front drawn.
std::string eval_pareto_svg(const ReportData& data);

// Spearman's rank correlation of two equally long series (average ranks for ties); 0 when
// fewer than 3 values or a series is constant.
double spearman_rho(const std::vector<double>& a, const std::vector<double>& b);

// Where the metric scatter's x comes from: "composite" when any point has a score, else "kurtosis".
std::string scatter_metric(const ReportData& data);

}  // namespace swan::report
