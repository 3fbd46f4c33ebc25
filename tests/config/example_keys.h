// The sweep of Python Axolotl's examples/ keys (tests/assets/config/axolotl_example_keys.tsv) as data,
// and a small valid flat config using one of them: shared by the loader's and the schema's tests.
#pragma once

#include <string>
#include <vector>

namespace axolotl::testing {

struct KeyLine {
  std::string level;  // top | dataset
  std::string key;
  std::string cls;    // implemented | noted | refused | other:<owner>
  std::string value;  // YAML (JSON) flow value from the examples
  int line = 0;
};

std::vector<KeyLine> read_keys();

// A small valid flat config with the key set; dataset keys go into the dataset entry, whose type is
// the one the examples use with that key (the value column holds "TYPE|VALUE" for dataset keys).
std::string config_with(const KeyLine& k);

}  // namespace axolotl::testing
