// Python's str.format with named fields only ("{prompt}", "{system}", ...; "{{" and "}}" escape), as
// Axolotl's user_defined preference strategies (prompt_strategies/{dpo,kto}/user_defined.py) apply
// their *_format strings; shared by the DPO and KTO renderers. A field not given is an error (key
// "type"), as Python raises KeyError.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "axolotl/util/error.h"

namespace axolotl::data {

inline std::string named_format(const std::string& fmt, const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt.compare(i, 2, "{{") == 0 || fmt.compare(i, 2, "}}") == 0) {
      out += fmt[i];
      ++i;
    } else if (fmt[i] == '{') {
      const size_t close = fmt.find('}', i);
      const std::string key = close == std::string::npos ? "" : fmt.substr(i + 1, close - i - 1);
      const std::pair<std::string, std::string>* hit = nullptr;
      for (const auto& f : fields)
        if (f.first == key) hit = &f;
      if (!hit) {
        std::string names;
        for (const auto& f : fields) names += (names.empty() ? "{" : " or {") + f.first + "}";
        Diagnostic d;
        d.key = "type";
        d.message = "a user_defined format names a field it cannot fill";
        d.found = "{" + key + "} in '" + fmt + "'";
        d.expected = names;
        throw Error(d);
      }
      out += hit->second;
      i = close;
    } else {
      out += fmt[i];
    }
  }
  return out;
}

}  // namespace axolotl::data
