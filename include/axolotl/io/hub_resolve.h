// Where the rest of axolotl turns a `base_model`, `tokenizer_config`, `lora_model_dir` or dataset `path`
// into a local path: an existing local path wins; otherwise it is a Hub repo id ("org/name", optionally
// "org/name@revision") whose needed files are fetched into (or found in) the huggingface_hub cache.
#pragma once

#include <string>

#include "axolotl/io/hub_download.h"

namespace axolotl::io {

// The local folder (or file, for datasets) for `name_or_path`. `revision` "" means the "@rev" suffix of the
// name if any, else "main". Throws IoError when it is neither an existing path nor a fetchable repo.
std::string resolve_local_path(const std::string& name_or_path, const std::string& revision, HubContent content,
                               const DownloadOptions& options = {});

// Model folder: config.json, safetensors weights, tokenizer files, generation_config.json.
// With RepoType::kDataset: a dataset repo's json/jsonl files.
std::string resolve_model_dir(const std::string& name_or_path, const std::string& revision = "",
                              RepoType type = RepoType::kModel);
// Tokenizer files only.
std::string resolve_tokenizer_dir(const std::string& name_or_path, const std::string& revision = "");
// PEFT adapter: adapter_config.json, adapter_model.safetensors (and tokenizer files if any).
std::string resolve_adapter_dir(const std::string& name_or_path, const std::string& revision = "");
// A dataset file or folder, or a Hub dataset repo's snapshot folder.
std::string resolve_dataset_path(const std::string& name_or_path, const std::string& revision = "");

}  // namespace axolotl::io
