// Small building blocks for the report's inline SVG charts: escaping, number formatting that
// does not depend on the locale, linear and log scales with readable ticks, and a chart frame
// that draws both axes with their labels (class "axis-label x" / "axis-label y", which the
// tests look for). No layout engine: every chart places its marks in pixel space itself.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace swan::report {

// Escapes & < > " ' for text and attribute values (tensor names come from untrusted files).
std::string xml_escape(std::string_view text);

// "0.0123", "1.2e-05", "4.5": up to `digits` significant digits, locale-free.
std::string short_number(double value, int digits = 3);

struct Scale {
  double lo = 0.0, hi = 1.0;  // data domain (log: both > 0)
  double px_lo = 0.0, px_hi = 1.0;
  bool log = false;

  double operator()(double value) const;  // pixel; values outside the domain are clamped
  std::vector<double> ticks() const;      // 3-8 ticks inside the domain
};

// A linear domain widened to round numbers; a log domain widened to whole decades.
Scale linear_scale(double lo, double hi, double px_lo, double px_hi, bool include_zero = false);
Scale log_scale(double lo, double hi, double px_lo, double px_hi);

struct ChartFrame {
  std::string id;
  std::string title;  // aria-label and <title>
  int width = 640, height = 360;
  int left = 70, right = 20, top = 20, bottom = 50;
  std::string x_label, y_label;

  double plot_left() const { return left; }
  double plot_right() const { return width - right; }
  double plot_top() const { return top; }
  double plot_bottom() const { return height - bottom; }

  // <svg ...> with the frame, gridlines, tick labels (via `x_tick_text` / `y_tick_text`, which
  // default to short_number) and the axis labels.
  std::string open(const Scale& x, const Scale& y, std::string (*x_tick_text)(double) = nullptr,
                   std::string (*y_tick_text)(double) = nullptr) const;
  std::string open_without_axes() const;  // for charts with category axes
  std::string axis_labels() const;        // the two <text class="axis-label ..."> elements
  static std::string close() { return "</svg>\n"; }
};

// Fill colour of a precision: one hue per bit width, grey for float.
std::string bits_colour(int bits);

// A row of coloured squares with labels ("2-bit", ..., "float"), at (x, y).
std::string bits_legend(const std::vector<int>& bits, double x, double y);

}  // namespace swan::report
