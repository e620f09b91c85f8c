#include "swan/report/svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace swan::report {

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        // control characters other than tab/newline are not allowed in XML text
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') out += ' ';
        else out += c;
    }
  }
  return out;
}

std::string short_number(double value, int digits) {
  if (!std::isfinite(value)) return value > 0 ? "inf" : (value < 0 ? "-inf" : "nan");
  if (value == 0.0) return "0";
  return fmt::format("{:.{}g}", value, digits);
}

double Scale::operator()(double value) const {
  double a = lo, b = hi, v = std::clamp(value, std::min(lo, hi), std::max(lo, hi));
  if (log) {
    a = std::log10(lo), b = std::log10(hi), v = std::log10(std::max(v, lo));
  }
  if (b == a) return (px_lo + px_hi) / 2;
  return px_lo + (v - a) / (b - a) * (px_hi - px_lo);
}

namespace {
double nice_step(double span, int target) {
  const double raw = span / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * magnitude >= raw) return m * magnitude;
  return 10 * magnitude;
}
}  // namespace

std::vector<double> Scale::ticks() const {
  std::vector<double> out;
  if (log) {
    auto inside = [&](double t) { return t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9); };
    const int a = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
    const int b = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
    const int every = std::max(1, (b - a + 7) / 8);
    for (int e = a; e <= b; e += every)
      if (inside(std::pow(10.0, e))) out.push_back(std::pow(10.0, e));
    if (out.size() >= 2) return out;
    out.clear();  // less than a decade or two: 1-2-5 steps
    for (int e = a - 1; e <= b; ++e)
      for (const double m : {1.0, 2.0, 5.0})
        if (inside(m * std::pow(10.0, e))) out.push_back(m * std::pow(10.0, e));
    return out;
  }
  if (hi <= lo) return {lo};
  const double step = nice_step(hi - lo, 5);
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step)
    out.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  return out;
}

Scale linear_scale(double lo, double hi, double px_lo, double px_hi, bool include_zero) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (include_zero) lo = std::min(lo, 0.0), hi = std::max(hi, 0.0);
  if (hi <= lo) hi = lo + (lo == 0 ? 1.0 : std::abs(lo) * 0.1);
  const double step = nice_step(hi - lo, 5);
  return {std::floor(lo / step) * step, std::ceil(hi / step) * step, px_lo, px_hi, false};
}

Scale log_scale(double lo, double hi, double px_lo, double px_hi) {
  if (!(lo > 0) || !std::isfinite(lo)) lo = 1e-6;
  if (!(hi > lo) || !std::isfinite(hi)) hi = lo * 10;
  // Widen to the nearest 1-2-5 values, so a narrow range fills the plot.
  auto below = [](double v) {
    const double decade = std::pow(10.0, std::floor(std::log10(v)));
    for (const double m : {5.0, 2.0, 1.0})
      if (m * decade <= v * (1 + 1e-12)) return m * decade;
    return decade;
  };
  auto above = [](double v) {
    const double decade = std::pow(10.0, std::floor(std::log10(v)));
    for (const double m : {1.0, 2.0, 5.0, 10.0})
      if (m * decade >= v * (1 - 1e-12)) return m * decade;
    return 10 * decade;
  };
  return {below(lo), above(hi), px_lo, px_hi, true};
}

std::string ChartFrame::open_without_axes() const {
  return fmt::format(
      "<svg id=\"{0}\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {1} {2}\" width=\"{1}\" "
      "height=\"{2}\" role=\"img\" aria-label=\"{3}\"><title>{3}</title>\n",
      xml_escape(id), width, height, xml_escape(title));
}

std::string ChartFrame::axis_labels() const {
  return fmt::format(
      "<text class=\"axis-label x\" x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n"
      "<text class=\"axis-label y\" transform=\"translate(14 {:.1f}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n",
      (plot_left() + plot_right()) / 2, height - 8, xml_escape(x_label), (plot_top() + plot_bottom()) / 2,
      xml_escape(y_label));
}

std::string ChartFrame::open(const Scale& x, const Scale& y, std::string (*x_tick_text)(double),
                             std::string (*y_tick_text)(double)) const {
  auto label = [](std::string (*f)(double), double v) { return f ? f(v) : short_number(v); };
  std::string out = open_without_axes();
  out += fmt::format("<rect class=\"plot\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>\n", left, top,
                     width - left - right, height - top - bottom);
  for (const double t : x.ticks()) {
    const double px = x(t);
    out += fmt::format("<line class=\"grid\" x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\"/>"
                       "<text class=\"tick x\" x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
                       px, plot_top(), plot_bottom(), plot_bottom() + 16, xml_escape(label(x_tick_text, t)));
  }
  for (const double t : y.ticks()) {
    const double py = y(t);
    out += fmt::format("<line class=\"grid\" x1=\"{1}\" y1=\"{0:.1f}\" x2=\"{2}\" y2=\"{0:.1f}\"/>"
                       "<text class=\"tick y\" x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
                       py, plot_left(), plot_right(), plot_left() - 6, py + 4, xml_escape(label(y_tick_text, t)));
  }
  out += axis_labels();
  return out;
}

std::string bits_colour(int bits) {
  switch (bits) {
    case 2: return "#d7301f";
    case 3: return "#fc8d59";
    case 4: return "#fdcc8a";
    case 5: return "#d9ef8b";
    case 6: return "#91cf60";
    case 8: return "#1a9850";
    default: return "#bdbdbd";  // float
  }
}

std::string bits_legend(const std::vector<int>& bits, double x, double y) {
  std::string out = "<g class=\"legend\">";
  for (const int b : bits) {
    out += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"12\" height=\"12\" fill=\"{}\"/>"
                       "<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>",
                       x, y, bits_colour(b), x + 16, y + 10, b >= 16 ? "float" : fmt::format("{}-bit", b));
    x += b >= 16 ? 56 : 50;
  }
  return out + "</g>\n";
}

}  // namespace swan::report
