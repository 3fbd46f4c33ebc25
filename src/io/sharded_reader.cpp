// ShardedReader: resolves the single-file or indexed checkpoint form and checks the index against
// the shards (every listed file exists, is a valid safetensors file and holds its tensors).
#include "axolotl/io/sharded_reader.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::io {
namespace fs = std::filesystem;
namespace {

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw IoError(Diagnostic{Location{path, 0, 0}, {}, "cannot read checkpoint index", {}, {}, {}});
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A shard name must stay inside the folder: a plain file name.
bool plain_file_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

[[noreturn]] void throw_problems(const std::string& where, const std::vector<std::string>& problems) {
  std::string msg = std::to_string(problems.size()) + (problems.size() == 1 ? " problem" : " problems") +
                    " in sharded checkpoint:";
  for (const auto& p : problems) msg += "\n  - " + p;
  throw IoError(Diagnostic{Location{where, 0, 0}, {}, msg, {}, {}, {}});
}

}  // namespace

bool ShardedReader::exists(const std::string& dir, const std::string& base) {
  std::error_code ec;
  return fs::is_regular_file(fs::path(dir) / (base + ".safetensors"), ec) ||
         fs::is_regular_file(fs::path(dir) / (base + ".safetensors.index.json"), ec);
}

std::unique_ptr<ShardedReader> ShardedReader::open(const std::string& dir, const std::string& base) {
  std::unique_ptr<ShardedReader> r(new ShardedReader());
  r->dir_ = dir;
  fs::path single = fs::path(dir) / (base + ".safetensors");
  fs::path index = fs::path(dir) / (base + ".safetensors.index.json");
  std::error_code ec;
  if (fs::is_regular_file(single, ec)) {
    if (fs::exists(index, ec)) log::info("io", "{}: using {} (ignoring {})", dir, single.filename().string(), index.filename().string());
    r->files_.push_back(SafetensorsFile::open(single.string()));
    for (const TensorInfo& t : r->files_[0]->tensors()) r->refs_.emplace(t.name, TensorRef{r->files_[0].get(), &t});
  } else if (fs::is_regular_file(index, ec)) {
    r->index_path_ = index.string();
    nlohmann::json j = nlohmann::json::parse(read_text(r->index_path_), nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      throw IoError(Diagnostic{Location{r->index_path_, 0, 0}, {}, "checkpoint index is not a JSON object", {}, {}, {}});
    }
    auto wm = j.find("weight_map");
    if (wm == j.end() || !wm->is_object()) {
      throw IoError(Diagnostic{Location{r->index_path_, 0, 0}, "weight_map", "missing or not an object", {},
                               "{\"tensor.name\": \"model-00001-of-0000N.safetensors\", ...}", {}});
    }
    std::vector<std::string> problems;
    std::map<std::string, SafetensorsFile*> by_file;        // nullptr: missing or invalid
    std::map<std::string, size_t> missing_count;            // shard -> tensors mapped to it
    std::vector<std::pair<std::string, std::string>> absent;  // (tensor, shard) not found there
    for (const auto& [name, value] : wm->items()) {
      if (!value.is_string()) {
        problems.push_back("weight_map[\"" + name + "\"] is not a file name string");
        continue;
      }
      const std::string file = value.get<std::string>();
      if (!plain_file_name(file)) {
        problems.push_back("weight_map[\"" + name + "\"] = \"" + file + "\" is not a file name in the folder");
        continue;
      }
      auto it = by_file.find(file);
      if (it == by_file.end()) {
        fs::path p = fs::path(dir) / file;
        SafetensorsFile* opened = nullptr;
        if (!fs::is_regular_file(p, ec)) {
          missing_count[file] = 0;
        } else {
          try {
            r->files_.push_back(SafetensorsFile::open(p.string()));
            opened = r->files_.back().get();
          } catch (const IoError& e) {
            problems.push_back(e.what());
          }
        }
        it = by_file.emplace(file, opened).first;
      }
      if (it->second == nullptr) {
        if (auto m = missing_count.find(file); m != missing_count.end()) ++m->second;
        continue;
      }
      if (const TensorInfo* info = it->second->find(name)) {
        r->refs_.emplace(name, TensorRef{it->second, info});
      } else {
        absent.emplace_back(name, file);
      }
    }
    for (const auto& [file, count] : missing_count) {
      problems.push_back("shard " + file + " is missing (weight_map puts " + std::to_string(count) +
                         (count == 1 ? " tensor" : " tensors") + " there)");
    }
    for (const auto& [name, file] : absent) {
      std::string p = "tensor " + name + " is not in " + file + ", where weight_map puts it";
      for (const auto& f : r->files_) {  // the likely cause: it sits in another shard
        if (f->find(name) != nullptr) {
          p += " (it is in " + fs::path(f->path()).filename().string() + ")";
          break;
        }
      }
      problems.push_back(p);
    }
    if (!problems.empty()) throw_problems(r->index_path_, problems);
    size_t unmapped = 0;
    for (const auto& f : r->files_) {
      for (const TensorInfo& t : f->tensors()) unmapped += r->refs_.count(t.name) == 0 ? 1 : 0;
    }
    if (unmapped > 0) log::warn("io", "{}: {} tensors in the shards are not in weight_map; ignored", r->index_path_, unmapped);
  } else {
    throw IoError(Diagnostic{Location{dir, 0, 0}, {}, "no safetensors checkpoint in folder", {},
                             base + ".safetensors or " + base + ".safetensors.index.json",
                             "only safetensors weights are supported (not pytorch_model.bin)"});
  }
  r->names_.reserve(r->refs_.size());
  for (const auto& kv : r->refs_) r->names_.push_back(kv.first);
  return r;
}

TensorRef ShardedReader::find(std::string_view name) const {
  auto it = refs_.find(name);
  return it == refs_.end() ? TensorRef{} : it->second;
}

TensorRef ShardedReader::at(std::string_view name) const {
  if (TensorRef r = find(name)) return r;
  throw IoError(Diagnostic{Location{index_path_.empty() ? dir_ : index_path_, 0, 0}, std::string(name),
                           "tensor not found in checkpoint", std::to_string(refs_.size()) + " other tensors", {}, {}});
}

uint64_t ShardedReader::total_bytes() const {
  uint64_t n = 0;
  for (const auto& kv : refs_) n += kv.second.info->nbytes();
  return n;
}

}  // namespace axolotl::io
