// Atomic checkpoint folders with a manifest, discovery, rotation.
#include "axolotl/train/checkpoint.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "axolotl/io/atomic_file.h"
#include "axolotl/train/tensorboard_writer.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::train {
namespace fs = std::filesystem;
namespace {

constexpr uint64_t kCrcLimit = uint64_t{1} << 30;  // files above 1 GiB are checked by size only

std::optional<uint32_t> file_crc(const fs::path& p, uint64_t size) {
  if (size > kCrcLimit) return std::nullopt;
  std::ifstream in(p, std::ios::binary);
  std::string bytes(size, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  if (!in) return 0xFFFFFFFFu;  // unreadable: will not match
  return crc32c(bytes.data(), bytes.size());
}

bool same_path(const std::string& a, const std::string& b) {
  std::error_code ec;
  return !b.empty() && fs::equivalent(a, b, ec);
}

[[noreturn]] void io_fail(const std::string& path, const std::string& message, const std::string& found = {}) {
  Diagnostic d;
  d.where.file = path;
  d.message = message;
  d.found = found;
  throw IoError(d);
}

void write_manifest(const fs::path& tmp, int64_t step) {
  nlohmann::json files = nlohmann::json::object();
  for (const auto& e : fs::directory_iterator(tmp)) {
    if (!e.is_regular_file()) continue;
    const uint64_t size = e.file_size();
    nlohmann::json f = {{"bytes", size}};
    if (auto crc = file_crc(e.path(), size)) f["crc32c"] = *crc;
    files[e.path().filename().string()] = f;
  }
  const nlohmann::json manifest = {
      {"format", "axolotl-checkpoint"}, {"version", 1}, {"global_step", step}, {"files", files}};
  io::write_file_atomic((tmp / kManifestName).string(), manifest.dump(2) + "\n");
}

}  // namespace

std::string save_checkpoint(const std::string& output_dir, int64_t step,
                            const std::function<void(const std::string& dir)>& fill) {
  const fs::path final_dir = fs::path(output_dir) / ("checkpoint-" + std::to_string(step));
  // Unique per process; a folder left by a run that died is removed by remove_stale_checkpoint_temps.
  const fs::path tmp =
      fs::path(output_dir) / (".checkpoint-" + std::to_string(step) + ".tmp-" + std::to_string(::getpid()));
  try {
    fs::create_directories(tmp);
    fill(tmp.string());
    write_manifest(tmp, step);
    if (fs::exists(final_dir)) fs::remove_all(final_dir);
    fs::rename(tmp, final_dir);
  } catch (const fs::filesystem_error& e) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    io_fail(e.path1().empty() ? tmp.string() : e.path1().string(), "cannot write the checkpoint", e.code().message());
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);  // never leave a half-written checkpoint behind
    throw;
  }
  return final_dir.string();
}

void remove_stale_checkpoint_temps(const std::string& output_dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(output_dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(".checkpoint-", 0) != 0 || name.find(".tmp") == std::string::npos) continue;
    log::info("train", "removing {} (an unfinished checkpoint of an earlier run)", e.path().string());
    std::error_code rm;
    fs::remove_all(e.path(), rm);
  }
}



std::string verify_checkpoint(const std::string& dir) {
  const fs::path m = fs::path(dir) / kManifestName;
  if (!fs::exists(m)) return "no " + std::string(kManifestName) + " (the save did not finish)";
  std::ifstream in(m);
  std::stringstream ss;
  ss << in.rdbuf();
  const auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.contains("files") || !j["files"].is_object())
    return std::string(kManifestName) + " is not valid JSON";
  for (const auto& [name, f] : j["files"].items()) {
    const fs::path p = fs::path(dir) / name;
    std::error_code ec;
    const uint64_t size = fs::file_size(p, ec);
    if (ec) return name + " is missing";
    if (size != f.value("bytes", uint64_t{0}))
      return fmt::format("{} has {} bytes, the manifest says {}", name, size, f.value("bytes", uint64_t{0}));
    if (f.contains("crc32c")) {
      auto crc = file_crc(p, size);
      if (crc && *crc != f["crc32c"].get<uint32_t>()) return name + " is corrupt (CRC-32C mismatch)";
    }
  }
  return {};
}

std::vector<CheckpointInfo> list_checkpoints(const std::string& output_dir) {
  std::vector<CheckpointInfo> out;
  std::error_code ec;
  if (!fs::is_directory(output_dir, ec)) return out;
  static const std::regex kName("^checkpoint-(\\d+)$");
  for (const auto& e : fs::directory_iterator(output_dir)) {
    std::smatch m;
    const std::string name = e.path().filename().string();
    if (e.is_directory() && std::regex_match(name, m, kName))
      out.push_back({std::stoll(m[1].str()), e.path().string()});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.step < b.step; });
  return out;
}

std::optional<CheckpointInfo> latest_good_checkpoint(const std::string& output_dir) {
  auto all = list_checkpoints(output_dir);
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    const std::string problem = verify_checkpoint(it->path);
    if (problem.empty()) return *it;
    log::warn("train", "skipping checkpoint {}: {}", it->path, problem);
  }
  return std::nullopt;
}

void rotate_checkpoints(const std::string& output_dir, int keep, const std::string& protect) {
  if (keep <= 0) return;
  auto all = list_checkpoints(output_dir);
  // HF _rotate_checkpoints: with limit 1 and a best checkpoint that is not the newest, keep two.
  if (keep == 1 && !protect.empty() && !all.empty() && !same_path(all.back().path, protect)) keep = 2;
  int64_t excess = static_cast<int64_t>(all.size()) - keep;
  for (const auto& c : all) {
    if (excess <= 0) break;
    if (same_path(c.path, protect)) continue;
    log::info("train", "deleting old checkpoint {} (save_total_limit {})", c.path, keep);
    fs::remove_all(c.path);
    --excess;
  }
}

}  // namespace axolotl::train
