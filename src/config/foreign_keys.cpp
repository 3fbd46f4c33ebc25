// The table of Python Axolotl keys outside our scope (see foreign_keys.h).
#include "foreign_keys.h"

namespace axolotl::config::detail {

namespace {

constexpr const char* kAttention = "attention runs in our LibTorch kernel (same math as SDPA; packed rows use a "
                                   "block-diagonal mask)";
constexpr const char* kTracker = "experiment trackers are not supported; metrics go to metrics.jsonl in output_dir "
                                 "(and TensorBoard with use_tensorboard)";
constexpr const char* kSharding = "DeepSpeed/FSDP are Python-only; multi-process runs use plain data parallel "
                                  "(WORLD_SIZE/RANK)";
constexpr const char* kHub = "uploading to the Hub is not supported; push output_dir yourself";
constexpr const char* kLoader = "Python data-loader tuning; our loader has its own threads (dataset_processes)";
constexpr const char* kDdp = "PyTorch DDP tuning; gradients are all-reduced once per optimizer step";
constexpr const char* kMemory = "Python model-loading placement; weights are loaded onto model.device";

const ForeignKey kKeys[] = {
    // accepted: steer only the Python backend
    {"flash_attention", false, false, true, kAttention},
    {"xformers_attention", false, false, true, kAttention},
    {"sdp_attention", false, false, true, kAttention},
    {"s2_attention", false, false, true, kAttention},
    {"flex_attention", false, false, false, kAttention},
    {"eager_attention", false, false, false, kAttention},
    {"attn_implementation", false, false, false, kAttention},
    {"flash_attn_", true, false, false, "fused flash-attn kernels are Python-only; standard kernels (same math)"},
    {"flash_optimum", false, false, false, kAttention},
    {"unsloth_", true, false, false, "unsloth kernels are Python-only; standard kernels (same math)"},
    {"liger_", true, false, false, "Liger kernels are Python-only; standard kernels (same math)"},
    {"wandb_", true, false, false, kTracker},
    {"mlflow_", true, false, false, kTracker},
    {"comet_", true, false, false, kTracker},
    {"use_wandb", false, false, false, kTracker},
    {"use_mlflow", false, false, false, kTracker},
    {"use_comet", false, false, false, kTracker},
    {"hub_model_id", false, false, false, kHub},
    {"hub_strategy", false, false, false, kHub},
    {"hub_revision", false, false, false, kHub},
    {"push_dataset_to_hub", false, false, false, kHub},
    {"hf_use_auth_token", false, false, false, "Hub access uses HF_TOKEN from the environment"},
    {"deepspeed", false, false, false, kSharding},
    {"fsdp", false, false, true, kSharding},
    {"fsdp_config", false, false, false, kSharding},
    {"fsdp_version", false, false, false, kSharding},
    {"plugins", false, false, false, "Python plugins cannot be loaded"},
    {"local_rank", false, false, false, "set by the launcher; we read RANK/LOCAL_RANK/WORLD_SIZE from the environment"},
    {"debug", false, false, false, "use --log-level debug"},
    {"group_by_length", false, false, false, "batches are not grouped by length (packing or plain shuffling)"},
    {"torch_compile", false, false, false, "torch.compile is Python-only; eager LibTorch execution"},
    {"torch_compile_backend", false, false, false, "torch.compile is Python-only; eager LibTorch execution"},
    {"lora_on_cpu", false, false, false, kMemory},
    {"low_cpu_mem_usage", false, false, false, kMemory},
    {"device_map", false, false, false, kMemory},
    {"max_memory", false, false, false, kMemory},
    {"gpu_memory_limit", false, false, false, kMemory},
    {"save_safetensors", false, false, false, "checkpoints are always safetensors"},
    {"tokenizer_use_fast", false, false, false, "the sentencepiece model is used directly"},
    {"tokenizer_legacy", false, false, false, "the sentencepiece model is used directly"},
    {"trust_remote_code", false, false, false, "no remote code is ever run; only the built-in LLaMA model"},
    {"is_llama_derived_model", false, false, true, "the LLaMA architecture is assumed"},
    {"is_mistral_derived_model", false, false, true, "the LLaMA architecture is assumed"},
    {"ddp_find_unused_parameters", false, false, false, kDdp},
    {"ddp_bucket_cap_mb", false, false, false, kDdp},
    {"ddp_broadcast_buffers", false, false, false, kDdp},
    {"dataloader_", true, false, false, kLoader},
    {"include_tokens_per_second", false, false, false, "tokens per second are always logged"},
    {"profiler_steps", false, false, false, "no PyTorch profiler; use perf or nsys"},
    {"save_first_step", false, false, false, "no extra checkpoint after step 1"},
    {"bnb_config_kwargs", false, false, false, "use bnb_4bit_quant_type / bnb_4bit_use_double_quant"},
    // errors when set: they change what is trained
    // deprecated and ignored by Axolotl itself (FORMATS2.md §4.1); before the dpo_ prefix below
    {"dpo_norm_loss", false, false, true, "deprecated and ignored by Axolotl"},
    {"rpo_alpha", false, false, true, "deprecated and ignored by Axolotl"},
    {"dpo_use_logits_to_keep", false, false, true, "deprecated and ignored by Axolotl"},
    {"dpo_generate_during_eval", false, false, true, "deprecated and ignored by Axolotl"},
    {"dpo_", true, true, false, "this DPO option is not implemented (supported: dpo_label_smoothing, dpo_use_weighting: "
                                "false, dpo_padding_free)"},
    {"kto_", true, true, false, "KTO is not implemented"},
    {"trl", false, true, false, "TRL trainers are not implemented"},
    {"reward_model", false, true, false, "reward-model training is not implemented"},
    {"process_reward_model", false, true, false, "reward-model training is not implemented"},
    {"relora_", true, true, false, "ReLoRA is not implemented"},
    {"gptq", false, true, false, "GPTQ-quantized models are not supported"},
    {"gptq_", true, true, false, "GPTQ-quantized models are not supported"},
    {"peft_layers_to_transform", false, true, false, "LoRA on a subset of layers is not implemented"},
    {"lora_layers_to_transform", false, true, false, "LoRA on a subset of layers is not implemented"},
    {"peft_use_dora", false, true, false, "DoRA is not implemented"},
    {"loraplus_", true, true, false, "LoRA+ learning rates are not implemented"},
    {"neftune_noise_alpha", false, true, false, "NEFTune embedding noise is not implemented"},
    {"noisy_embedding_alpha", false, true, false, "NEFTune embedding noise is not implemented"},
    {"lr_quadratic_warmup", false, true, false, "quadratic warm-up is not implemented"},
    {"rope_scaling", false, true, false, "RoPE scaling from the config is not implemented; set it in config.json"},
    {"sequence_parallel_degree", false, true, false, "sequence parallelism is not implemented"},
    {"tensor_parallel_size", false, true, false, "tensor parallelism is not implemented"},
    {"lisa_", true, true, false, "LISA layer sampling is not implemented"},
    {"unfrozen_parameters", false, true, false, "partial freezing is not implemented"},
    {"chat_template_jinja", false, true, false, "custom Jinja chat templates are not implemented"},
    {"multipack_real_batches", false, true, false, "only Axolotl's default packing (one bin per batch) is implemented"},
    {"curriculum_sampling", false, true, false, "curriculum sampling is not implemented"},
    {"model_config_overrides", false, true, false, "model config overrides are not implemented"},
    {"overrides_of_model_config", false, true, false, "model config overrides are not implemented"},
};

}  // namespace

const ForeignKey* find_foreign_key(const std::string& key) {
  for (const auto& k : kKeys) {
    std::string name = k.name;
    if (k.prefix ? key.compare(0, name.size(), name) == 0 : key == name) return &k;
  }
  return nullptr;
}

std::vector<std::string> foreign_key_names() {
  std::vector<std::string> out;
  for (const auto& k : kKeys) {
    if (!k.prefix) out.push_back(k.name);
  }
  return out;
}

}  // namespace axolotl::config::detail
