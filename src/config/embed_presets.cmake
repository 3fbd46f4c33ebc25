# Writes OUT: a C++ source holding every IN_DIR/*.yml as a raw string literal, so `axolotl init`
# works from any folder. Run by src/config/CMakeLists.txt whenever a preset changes.
file(GLOB files "${IN_DIR}/*.yml")
list(SORT files)
set(body "")
foreach(f IN LISTS files)
  get_filename_component(name "${f}" NAME_WLE)
  file(READ "${f}" text)
  string(APPEND body "    {\"${name}\", R\"axolotl_preset(${text})axolotl_preset\"},\n")
endforeach()
file(WRITE "${OUT}.tmp" "// Generated from configs/*.yml by src/config/embed_presets.cmake; do not edit.
#include \"${HEADER}\"

namespace axolotl::config::detail {

const std::vector<PresetFile>& preset_files() {
  static const std::vector<PresetFile> files = {
${body}  };
  return files;
}

}  // namespace axolotl::config::detail
")
configure_file("${OUT}.tmp" "${OUT}" COPYONLY)
