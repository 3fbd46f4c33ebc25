// Streaming rewrite of a HF folder's tensors and config.json (see folder_rewrite.h).
#include "axolotl/adapters/folder_rewrite.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "axolotl/adapters/tensor_io.h"
#include "axolotl/model/hf_versions.h"
#include "axolotl/util/error.h"

namespace axolotl::adapters {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

const char* config_dtype_name(torch::ScalarType t) {
  switch (t) {
    case torch::kBFloat16: return "bfloat16";
    case torch::kFloat16: return "float16";
    default: return "float32";
  }
}

int64_t rewrite_tensors(const std::vector<std::string>& files, io::ShardedWriter& writer,
                        std::optional<torch::ScalarType> dtype, const TensorReplacement& replace) {
  int64_t added = 0;
  for (const auto& path : files) {
    // Shared with the pending fills: unmapped once the last of its tensors has been written.
    std::shared_ptr<io::SafetensorsFile> file(io::SafetensorsFile::open(path).release());
    for (const io::TensorInfo& info : file->tensors()) {
      if (ends_with(info.name, "rotary_emb.inv_freq")) continue;  // legacy buffer (FORMATS.md §2.2)
      torch::ScalarType in_dtype;
      const bool known = torch_dtype_of(info.dtype, &in_dtype);
      const bool floating = known && c10::isFloatingType(in_dtype);
      const torch::ScalarType out_dtype = (floating && dtype) ? *dtype : in_dtype;
      std::optional<io::TensorSource> replaced = replace ? replace(file, info, out_dtype) : std::nullopt;
      if (replaced && replaced->name.empty()) continue;  // dropped
      if (replaced) {
        writer.add(std::move(*replaced));
        ++added;
        continue;
      }
      io::TensorSource src{info.name, known ? io_dtype_of(out_dtype) : info.dtype, info.shape, {}};
      const size_t nbytes = static_cast<size_t>(src.nbytes());
      if (!known || out_dtype == in_dtype) {
        src.fill = [file, info, nbytes](uint8_t* dst) { std::memcpy(dst, file->data(info), nbytes); };
      } else {
        src.fill = [file, info, out_dtype, nbytes](uint8_t* dst) {
          std::memcpy(dst, view_tensor(*file, info).to(out_dtype).contiguous().data_ptr(), nbytes);
        };
      }
      writer.add(std::move(src));
      ++added;
    }
  }
  return added;
}

nlohmann::json rewritten_config(nlohmann::json config, std::optional<torch::ScalarType> dtype, int64_t vocab_rows) {
  if (vocab_rows > 0) {  // a multimodal config keeps the text tower's size in text_config
    (config.contains("text_config") && config["text_config"].is_object() ? config["text_config"] : config)["vocab_size"] =
        vocab_rows;
  }
  if (dtype) {
    config["torch_dtype"] = config_dtype_name(*dtype);
    if (config.contains("dtype")) config["dtype"] = config_dtype_name(*dtype);
  }
  config.erase("quantization_config");  // the weights written are dense
  config["transformers_version"] = model::kTransformersVersion;
  return config;
}

nlohmann::json generation_config_for(const std::string& base_dir, const nlohmann::json& config) {
  namespace fs = std::filesystem;
  const fs::path base = base_dir.empty() ? fs::path() : fs::path(base_dir) / "generation_config.json";
  std::error_code ec;
  if (!base.empty() && fs::is_regular_file(base, ec)) {
    std::ifstream in(base, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json g = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    if (!in || !g.is_object()) {
      throw IoError(Diagnostic{Location{base.string(), 0, 0}, {}, "generation_config.json is not a JSON object",
                               g.is_discarded() ? "invalid JSON" : g.type_name(), "an object", {}});
    }
    g["transformers_version"] = model::kTransformersVersion;
    return g;
  }
  // transformers GenerationConfig.from_model_config: the token ids of the (text) config.
  const nlohmann::json& ids =
      config.contains("text_config") && config["text_config"].is_object() ? config["text_config"] : config;
  nlohmann::json g = {{"_from_model_config", true}, {"transformers_version", model::kTransformersVersion}};
  for (const char* key : {"bos_token_id", "eos_token_id", "pad_token_id"}) {
    if (ids.contains(key) && !ids[key].is_null()) g[key] = ids[key];
  }
  return g;
}

}  // namespace axolotl::adapters
