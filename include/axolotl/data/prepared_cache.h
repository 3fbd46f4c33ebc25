// The prepared-dataset cache: rows of both splits saved under dataset_prepared_path/<key>/ as
// RowStore files (mmap-loaded) plus stats.json. The key hashes the data settings, the seed, the
// tokenizer (its files' bytes + overrides + behaviour probes) and every source file's contents, so
// any change rebuilds. The folder is written under a temp name and renamed into place.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "axolotl/config/config.h"
#include "axolotl/data/dataset_builder.h"

namespace axolotl::data {

// dataset_prepared_path, or "last_run_prepared" (Axolotl's default) when unset.
std::string prepared_root(const config::DataConfig& data);

// 32 hex digits identifying the prepared rows of these settings and inputs.
std::string prepared_key(const config::DataConfig& data, const config::TokenizerConfig& tokenizer_config,
                         const std::string& tokenizer_dir, const Tokenizer& tokenizer, uint64_t seed);

// Loads <root>/<key>/ when complete and valid; nullopt when absent (a corrupt one is logged and ignored).
std::optional<PreparedData> load_prepared(const std::string& root, const std::string& key);
// Saves atomically; returns the folder.
std::string save_prepared(const std::string& root, const std::string& key, const PreparedData& data);

// Builds (or reuses) the prepared rows: the one entry point for `preprocess` and `train`.
// `reused` tells which happened.
PreparedData prepare(const config::DataConfig& data, const config::TokenizerConfig& tokenizer_config,
                     const Tokenizer& tokenizer, const BuildOptions& options, bool* reused = nullptr,
                     std::string* folder = nullptr);

nlohmann::json stats_to_json(const DatasetStats& stats);
DatasetStats stats_from_json(const nlohmann::json& j);

}  // namespace axolotl::data
