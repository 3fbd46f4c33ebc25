// SVG loss curve: 720x420 canvas, linear axes with 5 ticks, train in blue, eval in orange with markers.
#include "axolotl/io/atomic_file.h"
#include "axolotl/train/loss_curve.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "axolotl/util/error.h"

namespace axolotl::train {
namespace {

constexpr double kW = 720, kH = 420, kLeft = 70, kRight = 20, kTop = 40, kBottom = 50;

std::string escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else o += c;
  }
  return o;
}

}  // namespace

std::string loss_curve_svg(const Series& train, const Series& eval, const std::string& title) {
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  for (const Series* s : {&train, &eval})
    for (auto [x, y] : *s) {
      if (!std::isfinite(y)) continue;
      x0 = std::min(x0, double(x)), x1 = std::max(x1, double(x));
      y0 = std::min(y0, y), y1 = std::max(y1, y);
    }
  if (x0 > x1) x0 = 0, x1 = 1, y0 = 0, y1 = 1;  // nothing to draw
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) y1 = y0 + 1;
  const double pad = 0.05 * (y1 - y0);
  y0 -= pad, y1 += pad;
  auto px = [&](double x) { return kLeft + (x - x0) / (x1 - x0) * (kW - kLeft - kRight); };
  auto py = [&](double y) { return kTop + (y1 - y) / (y1 - y0) * (kH - kTop - kBottom); };

  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{}</text>\n",
      kW, kH, kW, kH, kW / 2, escape(title));
  s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#444\"/>\n", kLeft,
                   kTop, kW - kLeft - kRight, kH - kTop - kBottom);
  for (int i = 0; i <= 4; ++i) {
    const double yv = y0 + (y1 - y0) * i / 4.0, xv = x0 + (x1 - x0) * i / 4.0;
    s += fmt::format("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#ddd\"/>"
                     "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5:.3g}</text>\n",
                     kLeft, kW - kRight, py(yv), kLeft - 6, py(yv) + 4, yv);
    s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", px(xv), kH - kBottom + 18,
                     static_cast<int64_t>(std::llround(xv)));
  }
  s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">step</text>\n", kW / 2, kH - 12);
  s += fmt::format("<text x=\"16\" y=\"{}\" transform=\"rotate(-90 16 {})\" text-anchor=\"middle\">loss</text>\n",
                   kH / 2, kH / 2);
  auto polyline = [&](const Series& series, const char* color, bool markers) {
    std::string pts;
    for (auto [x, y] : series) {
      if (!std::isfinite(y)) continue;
      pts += fmt::format("{:.1f},{:.1f} ", px(double(x)), py(y));
      if (markers) s += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>\n", px(double(x)), py(y), color);
    }
    if (!pts.empty())
      s += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"/>\n", color, pts);
  };
  polyline(train, "#1f77b4", false);
  polyline(eval, "#ff7f0e", true);
  s += fmt::format("<text x=\"{0}\" y=\"{1}\" fill=\"#1f77b4\" text-anchor=\"end\">train loss</text>"
                   "<text x=\"{0}\" y=\"{2}\" fill=\"#ff7f0e\" text-anchor=\"end\">eval loss</text>\n",
                   kW - kRight - 8, kTop + 16, kTop + 32);
  s += "</svg>\n";
  return s;
}

void write_loss_curve(const std::string& path, const Series& train, const Series& eval, const std::string& title) {
  io::write_file_atomic(path, loss_curve_svg(train, eval, title));
}

}  // namespace axolotl::train
