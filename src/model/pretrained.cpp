// load_pretrained: config.json + weights -> a ready LlamaForCausalLM.
#include "axolotl/model/pretrained.h"

#include <filesystem>

#include "axolotl/io/hub_resolve.h"
#include "axolotl/model/family.h"
#include "axolotl/model/runtime.h"
#include "axolotl/model/weight_loader.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"
#include "axolotl/util/path_hint.h"

namespace axolotl::model {

std::string model_folder(const config::ModelConfig& config) {
  if (config.name.empty()) {
    throw UsageError(Diagnostic{{}, "base_model", "no model given", {}, {}, "set base_model to a model folder"});
  }
  if (std::filesystem::is_directory(config.name)) return config.name;
  if (!std::filesystem::exists(config.name) && io::is_repo_id(config.name)) {
    return io::resolve_model_dir(config.name, config.revision);  // huggingface_hub cache, downloading if needed
  }
  const std::string close = close_existing_path(config.name);  // a typo: no create-tiny hint
  throw Error(Diagnostic{{}, "base_model", "not a local folder or a Hub repo id", config.name,
                         "a folder holding config.json and model.safetensors, or org/name",
                         close.empty() ? "create a local model with `axolotl create-tiny`"
                                       : "did you mean " + close + "?"});
}

std::string model_config_folder(const config::ModelConfig& config) {
  if (config.config_path.empty()) return model_folder(config);
  return std::filesystem::exists(config.config_path) ? config.config_path
                                                     : io::resolve_model_dir(config.config_path, config.revision);
}

namespace {

// config.json (from config_path when set), threads, device and dtype: the model before its weights.
LlamaForCausalLM empty_model(const config::ModelConfig& config) {
  const std::string folder = model_config_folder(config);
  LlamaConfig llama = load_llama_config(folder, config.config_overrides);
  if (config.num_labels > 0) {  // AutoModelFor{Sequence,Token}Classification (reward_model, process_reward_model)
    const bool token = config.token_classification;
    const std::string want = token ? "AutoModelForTokenClassification" : "AutoModelForSequenceClassification";
    if (!llama.wrapper_architecture.empty()) {
      throw Error(Diagnostic{{folder, 0, 0}, "base_model", "a reward model from a multimodal checkpoint is not supported",
                             llama.wrapper_architecture, "a text-only checkpoint", "use the text model's checkpoint"});
    }
    if (classifier_of(llama.architecture, token).empty()) {
      throw Error(Diagnostic{{folder, 0, 0}, "base_model", "transformers has no " + want + " class for this family",
                             llama.architecture, "a family with one", token ? "process reward models need a "
                             "*ForTokenClassification class (Gemma-3 has none)" : ""});
    }
    if (llama.num_labels > 0 && (llama.token_classifier != token || llama.num_labels != config.num_labels)) {
      throw Error(Diagnostic{{folder, 0, 0}, "base_model", "the checkpoint is a different classifier",
                             classifier_of(llama.architecture, llama.token_classifier) + " with " +
                                 std::to_string(llama.num_labels) + " labels",
                             classifier_of(llama.architecture, token) + " with " + std::to_string(config.num_labels) +
                                 " labels",
                             "start from its base causal LM, or match num_labels and the trainer to the checkpoint"});
    }
    llama.num_labels = config.num_labels;
    llama.token_classifier = token;
  } else if (llama.num_labels > 0) {
    throw Error(Diagnostic{{folder, 0, 0}, "base_model", "this is a classification (reward) model, not a causal LM",
                           classifier_of(llama.architecture, llama.token_classifier) + " with " +
                               std::to_string(llama.num_labels) + " labels",
                           "a *ForCausalLM checkpoint",
                           "reward models are trained with reward_model or process_reward_model: true; generating, "
                           "merging and export need a causal language model"});
  }
  set_threads(config.threads);
  const auto device = resolve_device(config.device);
  const auto dtype = resolve_dtype(config.dtype, llama, device);
  log::info("model", "{}: {} layers, hidden {}, heads {}/{} (q/kv), vocab {}, {} on {}", llama.architecture,
            llama.num_hidden_layers, llama.hidden_size, llama.num_attention_heads, llama.num_key_value_heads,
            llama.vocab_size, dtype_name(dtype), device.str());
  return LlamaForCausalLM(llama, torch::TensorOptions().dtype(dtype).device(device));
}

}  // namespace

LlamaForCausalLM load_pretrained(const config::ModelConfig& config, const LoadHookFactory& hook_for) {
  const std::string folder = model_folder(config);
  LlamaForCausalLM model = empty_model(config);
  load_weights(*model, folder, hook_for ? hook_for(*model) : TensorLoaded{});
  model->eval();
  return model;
}

LlamaForCausalLM random_pretrained(const config::ModelConfig& config, uint64_t seed) {
  LlamaForCausalLM model = empty_model(config);
  init_weights(*model, seed);
  const auto pad = model->config().pad_token_id;  // nn.Embedding(padding_idx=pad_token_id): its row is zeroed
  auto& table = model->model->embed_tokens->weight;
  if (pad && *pad >= 0 && *pad < table.size(0)) {
    torch::NoGradGuard no_grad;
    table[*pad].zero_();
  }
  log::info("model", "reinit_weights: random weights (N(0, {}) as HF _init_weights, seed {}), not the checkpoint's",
            model->config().initializer_range, seed);
  model->eval();
  return model;
}

}  // namespace axolotl::model
