// Command-line overrides: both the nested --set form and Axolotl's flat --key value form.
#include "axolotl/cli/overrides.h"

#include <algorithm>

#include "axolotl/util/error.h"

namespace axolotl::cli {

std::vector<std::string> overrides_from(const ConfigArgs& args, const std::vector<std::string>& extras) {
  std::vector<std::string> out;
  size_t next_set = 0;
  // The --set entries typed before left-over arg `position` (all of them when position is npos).
  auto sets_before = [&](size_t position) {
    for (; next_set < args.sets.size(); ++next_set) {
      const size_t after = next_set < args.set_after.size() ? args.set_after[next_set] : 0;
      if (position != std::string::npos && after > position) break;
      const std::string& s = args.sets[next_set];
      if (s.find('=') == std::string::npos || s.front() == '=') {
        throw UsageError(Diagnostic{{}, "--set", "override must be KEY=VALUE", s, "e.g. training.epochs=2", {}});
      }
      out.push_back(s);
    }
  };
  for (size_t i = 0; i < extras.size(); ++i) {
    sets_before(i);
    const std::string& arg = extras[i];
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      throw UsageError(Diagnostic{{}, {}, "unexpected argument", arg, "an option such as --learning-rate 1e-4", {}});
    }
    std::string body = arg.substr(2);
    std::string key;
    std::string value;
    if (auto eq = body.find('='); eq != std::string::npos) {
      key = body.substr(0, eq);
      value = body.substr(eq + 1);
    } else {
      key = body;
      if (i + 1 < extras.size() && extras[i + 1].compare(0, 2, "--") != 0) {
        value = extras[++i];
      } else {
        value = "true";
      }
    }
    std::replace(key.begin(), key.end(), '-', '_');
    if (key.empty()) throw UsageError(Diagnostic{{}, {}, "empty option name", arg, "--key value", {}});
    out.push_back(key + "=" + value);
  }
  sets_before(std::string::npos);
  return out;
}

}  // namespace axolotl::cli
