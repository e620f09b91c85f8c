// The report as one self-contained HTML page: inline CSS, inline SVG charts (charts.h), a
// few lines of inline JavaScript (table sorting), no network access (a Content-Security-
// Policy forbids any load), printable. Deterministic: the same data gives the same bytes.
// When the page has loaded without a script error, <body> gets data-report-ready="1"; a
// script error is recorded in <html data-script-error="...">, so a headless browser test
// can tell a working page from a broken one.
#pragma once

#include <filesystem>
#include <string>

#include "swan/report/report_data.h"

namespace swan::report {

std::string render_html(const ReportData& data);

// Writes the page atomically (temp + rename).
void write_report(const ReportData& data, const std::filesystem::path& path);

}  // namespace swan::report
