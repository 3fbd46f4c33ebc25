// Reading and writing PEFT adapter folders (FORMATS.md §3.1–3.3; peft utils/save_and_load.py).
#include "axolotl/adapters/peft_adapter.h"

#include <filesystem>
#include <vector>

#include "axolotl/adapters/tensor_io.h"
#include "axolotl/io/atomic_file.h"
#include "axolotl/io/safetensors.h"
#include "axolotl/util/error.h"

namespace axolotl::adapters {
namespace fs = std::filesystem;

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void replace_all(std::string& s, const std::string& what, const std::string& with) {
  for (auto pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + with.size())) {
    s.replace(pos, what.size(), with);
  }
}

}  // namespace

std::string model_key(const std::string& file_key) {
  const std::string prefix = kPeftPrefix;
  if (file_key.compare(0, prefix.size(), prefix) != 0) return {};
  std::string key = file_key.substr(prefix.size());
  replace_all(key, ".modules_to_save.default.", ".");  // ModulesToSaveWrapper in-memory names
  if (ends_with(key, ".default")) key.resize(key.size() - 8);
  // ".default." as the second-to-last segment: lora_A.default.weight -> lora_A.weight.
  const auto last = key.rfind('.');
  if (last != std::string::npos && last >= 8 && key.compare(last - 8, 8, ".default") == 0) key.erase(last - 8, 8);
  return key;
}

namespace {

// A tensor that would load but give garbage: not floating point, empty, non-finite, or a LoRA factor
// whose rank side differs from adapter_config.json's r (lora_A is (r, in), lora_B is (out, r)).
void check_adapter_tensor(const std::string& file, const std::string& name, const std::string& key,
                          const torch::Tensor& t, int64_t r) {
  auto fail = [&](const std::string& message, const std::string& found, const std::string& expected) {
    throw IoError(Diagnostic{Location{file, 0, 0}, name, message, found, expected, "re-save the adapter, or fix r in " +
                                                                                   std::string(kAdapterConfigFile)});
  };
  if (!torch::isFloatingType(t.scalar_type())) fail("adapter tensor is not floating point", c10::toString(t.scalar_type()), "F32, BF16 or F16");
  if (t.numel() == 0) fail("adapter tensor is empty", "0 elements", "a non-empty tensor");
  const bool a = ends_with(key, ".lora_A.weight"), b = ends_with(key, ".lora_B.weight");
  if (a || b) {
    const int64_t side = t.dim() != 2 ? -1 : a ? t.size(0) : t.size(1);
    if (side != r) {
      std::string shape;
      for (int64_t d : t.sizes()) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
      fail("LoRA factor does not match the adapter's rank", "shape [" + shape + "]",
           std::string(a ? "(r, in_features)" : "(out_features, r)") + " with r = " + std::to_string(r));
    }
  }
  if (!torch::isfinite(t).all().item<bool>()) fail("adapter tensor holds NaN or infinity", "non-finite values", "finite values");
}

}  // namespace

AdapterFiles read_adapter(const std::string& dir) {
  const fs::path folder(dir);
  const fs::path weights = folder / kAdapterWeightsFile;
  if (!fs::exists(weights)) {
    const bool bin = fs::exists(folder / "adapter_model.bin");
    throw IoError(Diagnostic{Location{dir, 0, 0}, {}, "no adapter_model.safetensors in the adapter folder", {}, {},
                             bin ? "adapter_model.bin (pickle) is not supported: re-save it with safe_serialization=True"
                                 : "lora_model_dir must be a folder written by PEFT save_pretrained or axolotl train"});
  }
  AdapterFiles out;
  out.config = read_adapter_config((folder / kAdapterConfigFile).string());
  auto file = io::SafetensorsFile::open(weights.string());
  std::vector<std::string> bad;
  for (const auto& info : file->tensors()) {
    std::string key = model_key(info.name);
    if (key.empty()) {
      bad.push_back(info.name);
      continue;
    }
    if (out.tensors.count(key)) {
      throw IoError(Diagnostic{Location{weights.string(), 0, 0}, info.name, "two tensors map to the same key", key, {}, {}});
    }
    out.tensors[key] = view_tensor(*file, info).clone();
    check_adapter_tensor(weights.string(), info.name, key, out.tensors[key], out.config.r);
  }
  if (!bad.empty()) {
    std::string list;
    for (size_t i = 0; i < bad.size() && i < 5; ++i) list += (i ? ", " : "") + bad[i];
    throw IoError(Diagnostic{Location{weights.string(), 0, 0}, {}, "adapter tensors without the PEFT prefix",
                             list + (bad.size() > 5 ? ", ..." : ""), std::string("keys starting with ") + kPeftPrefix,
                             "is this a full model checkpoint rather than an adapter?"});
  }
  return out;
}

void write_adapter(const std::string& dir, const AdapterConfig& config,
                   const std::map<std::string, torch::Tensor>& tensors) {
  fs::create_directories(dir);
  std::vector<io::TensorSource> sources;
  for (const auto& [key, tensor] : tensors) sources.push_back(tensor_source(kPeftPrefix + key, tensor));
  io::write_safetensors((fs::path(dir) / kAdapterWeightsFile).string(), sources, {{"format", "pt"}});
  io::write_file_atomic((fs::path(dir) / kAdapterConfigFile).string(), adapter_config_json(config));
}

}  // namespace axolotl::adapters
