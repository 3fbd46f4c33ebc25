// Internal to config/: the preset YAML texts embedded at build time (generated preset_data.cpp).
#pragma once

#include <string>
#include <vector>

namespace axolotl::config::detail {

struct PresetFile {
  std::string name;  // file name without .yml
  std::string text;
};

const std::vector<PresetFile>& preset_files();

}  // namespace axolotl::config::detail
