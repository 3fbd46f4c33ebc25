// load_pretrained: config.json + weights -> a ready LlamaForCausalLM.
#include "axolotl/model/pretrained.h"

#include <filesystem>

#include "axolotl/model/runtime.h"
#include "axolotl/model/weight_loader.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::model {

std::string model_folder(const config::ModelConfig& config) {
  if (config.name.empty()) {
    throw UsageError(Diagnostic{{}, "base_model", "no model given", {}, {}, "set base_model to a model folder"});
  }
  if (!std::filesystem::is_directory(config.name)) {
    throw Error(Diagnostic{{}, "base_model", "not a local folder; Hub download not available here yet", config.name,
                           "a folder holding config.json and model.safetensors",
                           "download it first (axolotl download) or create one with `axolotl create-tiny`"});
  }
  return config.name;
}

LlamaForCausalLM load_pretrained(const config::ModelConfig& config) {
  const std::string folder = model_folder(config);
  const LlamaConfig llama = load_llama_config(config.config_path.empty() ? folder : config.config_path);
  set_threads(config.threads);
  const auto device = resolve_device(config.device);
  const auto dtype = resolve_dtype(config.dtype, llama, device);
  log::info("model", "{}: {} layers, hidden {}, heads {}/{} (q/kv), vocab {}, {} on {}", llama.architecture,
            llama.num_hidden_layers, llama.hidden_size, llama.num_attention_heads, llama.num_key_value_heads,
            llama.vocab_size, dtype_name(dtype), device.str());
  LlamaForCausalLM model(llama, torch::TensorOptions().dtype(dtype).device(device));
  load_weights(*model, folder);
  model->eval();
  return model;
}

}  // namespace axolotl::model
