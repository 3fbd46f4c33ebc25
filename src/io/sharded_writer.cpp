// ShardedWriter: shards go to hidden temporary names while N is unknown; finish() renames them to
// model-0000i-of-0000N.safetensors (huggingface_hub serialization/_base.py naming) and writes the
// index as transformers does (json.dumps(index, indent=2, sort_keys=True) + "\n").
#include "axolotl/io/sharded_writer.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "axolotl/io/atomic_file.h"
#include "axolotl/util/error.h"
#include "axolotl/util/interrupt.h"
#include "axolotl/util/log.h"

namespace axolotl::io {
namespace fs = std::filesystem;
namespace {

// `<base>.safetensors`, `<base>.safetensors.index.json` or `<base>-ddddd-of-ddddd.safetensors`.
bool checkpoint_file_name(const std::string& name, const std::string& base) {
  if (name == base + ".safetensors" || name == base + ".safetensors.index.json") return true;
  const std::string tail = "-00000-of-00000.safetensors";
  if (name.size() != base.size() + tail.size() || name.compare(0, base.size(), base) != 0) return false;
  for (size_t i = 0; i < tail.size(); ++i) {
    char c = name[base.size() + i];
    if (tail[i] == '0' ? (c < '0' || c > '9') : c != tail[i]) return false;
  }
  return true;
}

}  // namespace

ShardedWriter::ShardedWriter(std::string dir, uint64_t max_shard_bytes, std::map<std::string, std::string> metadata,
                             std::string base)
    : dir_(std::move(dir)), max_shard_bytes_(max_shard_bytes), metadata_(std::move(metadata)), base_(std::move(base)) {
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) {
    throw IoError(Diagnostic{Location{dir_, 0, 0}, {}, "output folder does not exist", {}, {}, {}});
  }
  if (max_shard_bytes_ == 0) {
    throw IoError(Diagnostic{Location{dir_, 0, 0}, {}, "invalid max shard size", "0 bytes", "a positive size", {}});
  }
}

ShardedWriter::~ShardedWriter() {
  if (finished_) return;
  for (const auto& p : temp_shards_) ::unlink(p.c_str());
}

void ShardedWriter::add(TensorSource tensor) {
  throw_if_interrupted(("writing " + dir_).c_str());
  if (finished_) throw IoError(Diagnostic{Location{dir_, 0, 0}, tensor.name, "add after finish", {}, {}, {}});
  if (!seen_.emplace(tensor.name, true).second) {
    throw IoError(Diagnostic{Location{dir_, 0, 0}, tensor.name, "tensor added twice", {}, "unique names", {}});
  }
  uint64_t n = tensor.nbytes();
  total_bytes_ += n;
  if (n > max_shard_bytes_) {  // its own shard; the open shard stays open
    std::vector<TensorSource> one;
    one.push_back(std::move(tensor));
    write_shard(std::move(one));
    return;
  }
  if (pending_bytes_ + n > max_shard_bytes_) flush_pending();
  pending_bytes_ += n;
  pending_.push_back(std::move(tensor));
}

void ShardedWriter::flush_pending() {
  if (pending_.empty()) return;
  write_shard(std::move(pending_));
  pending_.clear();
  pending_bytes_ = 0;
}

void ShardedWriter::write_shard(std::vector<TensorSource> tensors) {
  std::string path = (fs::path(dir_) / fmt::format(".{}-shard-{:05d}.safetensors.partial", base_,
                                                    temp_shards_.size() + 1)).string();
  temp_shards_.push_back(path);  // recorded first: removed by the destructor even if writing fails
  std::vector<std::string> names;
  for (const auto& t : tensors) names.push_back(t.name);
  write_safetensors(path, tensors, metadata_);
  shard_names_.push_back(std::move(names));
  log::debug("io", "wrote shard {} ({} tensors)", shard_names_.size(), shard_names_.back().size());
}

std::vector<std::string> ShardedWriter::finish() {
  if (finished_) throw IoError(Diagnostic{Location{dir_, 0, 0}, {}, "finish called twice", {}, {}, {}});
  flush_pending();
  if (temp_shards_.empty()) write_shard({});  // no tensors at all: an empty model.safetensors
  const size_t n = temp_shards_.size();
  std::vector<std::string> finals;
  for (size_t i = 0; i < n; ++i) {
    finals.push_back(n == 1 ? base_ + ".safetensors"
                            : fmt::format("{}-{:05d}-of-{:05d}.safetensors", base_, i + 1, n));
  }
  const std::string index_name = base_ + ".safetensors.index.json";
  std::string index_text;
  if (n > 1) {
    nlohmann::json weight_map = nlohmann::json::object();
    for (size_t i = 0; i < n; ++i) {
      for (const auto& name : shard_names_[i]) weight_map[name] = finals[i];
    }
    nlohmann::json index = {{"metadata", {{"total_size", total_bytes_}}}, {"weight_map", weight_map}};
    index_text = index.dump(2, ' ', true) + "\n";  // nlohmann objects are key-sorted, like sort_keys=True
  }
  for (size_t i = 0; i < n; ++i) {
    std::string dst = (fs::path(dir_) / finals[i]).string();
    if (::rename(temp_shards_[i].c_str(), dst.c_str()) != 0) {
      throw IoError(Diagnostic{Location{dst, 0, 0}, {}, "cannot rename shard into place", temp_shards_[i], {}, {}});
    }
    temp_shards_[i] = dst;  // from here on the destructor removes the final name
  }
  if (n > 1) write_file_atomic((fs::path(dir_) / index_name).string(), index_text);
  finished_ = true;
  sync_directory(dir_);
  // Remove what is left of an earlier checkpoint with this base name, so loaders cannot mix them.
  std::set<std::string> keep(finals.begin(), finals.end());
  if (n > 1) keep.insert(index_name);
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    std::string name = e.path().filename().string();
    if (keep.count(name) == 0 && checkpoint_file_name(name, base_)) {
      log::info("io", "removing stale {} from {}", name, dir_);
      fs::remove(e.path(), ec);
    }
  }
  return finals;
}

std::vector<std::string> write_sharded(const std::string& dir, std::vector<TensorSource> tensors,
                                       uint64_t max_shard_bytes, const std::map<std::string, std::string>& metadata) {
  ShardedWriter w(dir, max_shard_bytes, metadata);
  for (auto& t : tensors) w.add(std::move(t));
  return w.finish();
}

}  // namespace axolotl::io
