// `axolotl inspect FILE.gguf [--format text|json] [--all]`: the metadata and the tensor table of a GGUF
// file (users check exports with it; tests read it back). Torch-free: the reader is in the core library.
#include <fmt/format.h>

#include <iostream>

#include <nlohmann/json.hpp>

#include "axolotl/cli/command.h"
#include "axolotl/export/gguf_reader.h"

namespace axolotl::cli {
namespace {

nlohmann::ordered_json value_json(const gguf::Value& v, bool all) {
  auto element = [&](gguf::ValueType t, size_t i) -> nlohmann::ordered_json {
    if (t == gguf::ValueType::kString) return v.strings[i];
    if (gguf::is_float(t)) return v.floats[i];
    if (t == gguf::ValueType::kBool) return v.ints[i] != 0;
    if (t == gguf::ValueType::kUint64) return static_cast<uint64_t>(v.ints[i]);
    return v.ints[i];
  };
  nlohmann::ordered_json out;
  out["type"] = gguf::value_type_name(v.type);
  if (!v.is_array()) {
    out["value"] = element(v.type, 0);
    return out;
  }
  out["element_type"] = gguf::value_type_name(v.elem);
  out["count"] = v.count();
  auto arr = nlohmann::ordered_json::array();
  size_t n = all ? v.count() : std::min<size_t>(v.count(), 16);
  for (size_t i = 0; i < n; ++i) arr.push_back(element(v.elem, i));
  out["value"] = arr;
  return out;
}

int run_inspect(const std::string& path, const std::string& format, bool all) {
  auto file = gguf::GgufFile::open(path);
  if (format == "json") {
    nlohmann::ordered_json out;
    out["version"] = file->version();
    out["alignment"] = file->alignment();
    out["data_offset"] = file->data_start();
    out["file_size"] = file->file_size();
    nlohmann::ordered_json meta = nlohmann::ordered_json::object();
    for (const auto& [key, v] : file->metadata()) meta[key] = value_json(v, all);
    out["metadata"] = meta;
    auto tensors = nlohmann::ordered_json::array();
    for (const auto& t : file->tensors()) {
      tensors.push_back({{"name", t.name}, {"ne", t.ne}, {"type", gguf::type_name(t.type)},
                         {"offset", t.offset}, {"nbytes", t.nbytes}});
    }
    out["tensors"] = tensors;
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << fmt::format("{}: GGUF v{}, {} keys, {} tensors, alignment {}, {} bytes\n", path, file->version(),
                           file->metadata().size(), file->tensors().size(), file->alignment(), file->file_size());
  std::cout << "metadata:\n";
  for (const auto& [key, v] : file->metadata()) {
    std::string text = v.str();
    if (!all && text.size() > 160) text = text.substr(0, 157) + "...";
    std::cout << fmt::format("  {:<44} {:<4} {}\n", key, gguf::value_type_name(v.type), text);
  }
  std::cout << fmt::format("tensors:\n  {:<36} {:<6} {:<24} {:>12}\n", "name", "type", "ne", "bytes");
  uint64_t total = 0;
  for (const auto& t : file->tensors()) {
    std::cout << fmt::format("  {:<36} {:<6} {:<24} {:>12}\n", t.name, gguf::type_name(t.type),
                             fmt::format("[{}]", fmt::join(t.ne, ", ")), t.nbytes);
    total += t.nbytes;
  }
  std::cout << fmt::format("  total tensor bytes: {}\n", total);
  return 0;
}

}  // namespace

void add_inspect_command(CLI::App& app, Dispatch& dispatch) {
  auto* sub = app.add_subcommand("inspect", "print the metadata and tensor table of a GGUF file");
  auto path = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("text");
  auto all = std::make_shared<bool>(false);
  sub->add_option("FILE", *path, "a .gguf file")->required();
  sub->add_option("--format", *format, "text or json")->check(CLI::IsMember({"text", "json"}));
  sub->add_flag("--all", *all, "print arrays (vocabularies, merges) in full");
  sub->footer("Example:\n  axolotl inspect outputs/model-q4_k_m.gguf");
  sub->callback([path, format, all, &dispatch] {
    dispatch.run = [path, format, all] { return run_inspect(*path, *format, *all); };
  });
}

}  // namespace axolotl::cli
