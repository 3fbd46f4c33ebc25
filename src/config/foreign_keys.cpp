// The table of Python Axolotl keys outside our scope (see foreign_keys.h).
#include "foreign_keys.h"

#include <iterator>

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
constexpr const char* kKernel = "fused Python/Triton kernels are not available; the standard LibTorch kernels run "
                                "(same math)";
constexpr const char* kCompile = "torch.compile is Python-only; eager LibTorch execution";
constexpr const char* kMoe = "mixture-of-experts models are not supported (only dense LLaMA-architecture models)";
constexpr const char* kMultimodal = "multimodal (vision/audio) models are not supported; text-only LLaMA-architecture "
                                    "models";
constexpr const char* kQuantized = "pre-quantized checkpoints and quantization recipes are not supported; QLoRA "
                                   "quantizes to NF4 while loading (load_in_4bit)";
constexpr const char* kParallel = "model/sequence parallelism is not implemented; multi-process runs are plain data "
                                  "parallel (WORLD_SIZE/RANK)";

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
    // from the sweep of Axolotl's examples/: Python-only back-end switches
    {"gradient_checkpointing_kwargs", false, false, false,
     "the checkpointing here has no reentrant variant; gradient_checkpointing alone decides"},
    {"remove_unused_columns", false, false, false, "rows are tokenized into input ids and labels; other columns are "
                                                   "never kept"},
    {"skip_prepare_dataset", false, false, false, "datasets are always tokenized before training (and cached in "
                                                  "dataset_prepared_path)"},
    {"lora_mlp_kernel", false, false, false, kKernel},
    {"lora_qkv_kernel", false, false, false, kKernel},
    {"lora_o_kernel", false, false, false, kKernel},
    {"use_kernels", false, false, false, kKernel},
    {"fused_attn_kernel", false, false, false, kKernel},
    {"cut_cross_entropy", false, false, false, "the loss is a plain chunked cross-entropy (same math)"},
    {"tiled_mlp", false, false, false, kKernel},
    {"default_system_message", false, false, false,
     "no effect, as in Axolotl: it replaces \"You are a helpful assistant.\" in the chatml template, whose text "
     "has no such sentence; give the system turn in the data"},
    {"torchdistx_path", false, false, true, "torchdistx deferred init is Python-only; weights load directly"},
    {"activation_offloading", false, false, false, "activations stay in memory (use gradient_checkpointing to save "
                                                   "memory)"},
    {"max_packed_sequence_len", false, false, true, "packing uses sequence_len with sample_packing: true"},
    {"sample_packing_eff_est", false, false, true, "packing needs no efficiency estimate"},
    {"sample_packing_seq_len_multiplier", false, false, true, "packing bins are sequence_len long"},
    {"total_num_tokens", false, false, false, "the token count is measured, not read from the config"},
    {"swanlab_", true, false, false, kTracker},
    {"use_swanlab", false, false, false, kTracker},
    {"trackio_", true, false, false, kTracker},
    {"otel_metrics_", true, false, false, kTracker},
    {"use_otel_metrics", false, false, false, kTracker},
    {"torch_compile_mode", false, false, false, kCompile},
    {"flex_attn_compile_kwargs", false, false, false, kCompile},
    {"experimental_skip_move_to_device", false, false, false, kMemory},
    {"base_model_ignore_patterns", false, false, false, "`axolotl download` picks safetensors, config and tokenizer "
                                                        "files itself"},
    {"accelerator_config", false, false, false, kDdp},
    {"ddp", false, false, false, "data parallelism follows WORLD_SIZE/RANK (or train --nproc-per-node)"},
    {"dp_replicate_size", false, false, false, kSharding},
    {"dp_shard_size", false, false, false, kSharding},
    {"use_ray", false, false, false, "Ray is Python-only; start ranks with train --nproc-per-node or torchrun"},
    {"ray_num_workers", false, false, false, "Ray is Python-only; start ranks with train --nproc-per-node or torchrun"},
    {"vllm", false, false, false, "the vLLM generation server is Python-only"},
    {"eval_causal_lm_metrics", false, false, false, "evaluation logs loss and perplexity; other generation metrics "
                                                    "are not computed"},
    {"do_causal_lm_eval", false, false, false, "evaluation logs loss and perplexity; generation metrics are not "
                                               "computed"},
    {"gemma4_hybrid_attn_impl", false, false, false, kAttention},
    {"full_finetune", false, false, false, "full fine-tuning is `adapter:` unset"},
    {"eta_min", false, false, false, "only Axolotl's cosine/linear/constant schedules run; cosine_min_lr_ratio sets "
                                     "the floor"},
    // from the sweep: misspelt or stray keys in Axolotl's own examples, which Axolotl ignores (pydantic drops
    // unknown keys); accepted with a warning so those files run as they do there
    {"adam_eps", false, false, false, "not an Axolotl key (Axolotl ignores it too); the epsilon is adam_epsilon"},
    {"context_parapllel_size", false, false, false, "not an Axolotl key (Axolotl ignores this misspelling of "
                                                    "context_parallel_size too)"},
    {"test_value", false, false, false, "not an Axolotl key (Axolotl ignores it too)"},
    // from the sweep: features that change the result, refused by name
    {"context_parallel_size", false, true, false, kParallel},
    {"expert_parallel_", true, true, false, kMoe},
    {"experts_implementation", false, true, false, kMoe},
    {"quantize_moe_experts", false, true, false, kMoe},
    {"use_scattermoe", false, true, false, kMoe},
    {"use_sonicmoe", false, true, false, kMoe},
    {"llama4_linearized_experts", false, true, false, kMoe},
    {"lora_target_parameters", false, true, false, "LoRA on raw parameters (MoE expert weights) is not implemented"},
    {"use_dsv4_kernels", false, true, false, "DeepSeek-V4 models are not supported"},
    {"dsv4_fp4_grouped_mode", false, true, false, "DeepSeek-V4 models are not supported"},
    {"use_glm_dsa_kernels", false, true, false, "GLM sparse-attention models are not supported"},
    {"processor_type", false, true, false, kMultimodal},
    {"freeze_mm_modules", false, false, false, "the vision and audio towers of a multimodal checkpoint are never "
                                               "trained here: only its text tower is loaded"},
    {"model_quantization_config", false, true, false, kQuantized},
    {"model_quantization_config_kwargs", false, true, false, kQuantized},
    {"llmcompressor", false, true, false, kQuantized},
    {"nvfp4_merge_aware", false, true, false, kQuantized},
    {"use_onebitllms", false, true, false, kQuantized},
    {"fp8", false, true, false, "fp8 training is not implemented (bf16, fp16 or fp32)"},
    {"fp8_enable_fsdp_float8_all_gather", false, true, false, "fp8 training is not implemented"},
    {"diffusion", false, true, false, "diffusion language-model training is not implemented"},
    {"ebft", false, true, false, "EBFT training is not implemented"},
    {"tokenizer_use_mistral_common", false, true, false, "mistral-common tokenizers are not supported; use the "
                                                         "tokenizer files of the model"},
    // errors when set: they change what is trained
    // deprecated and ignored by Axolotl itself (FORMATS2.md §4.1); before the dpo_ prefix below
    {"dpo_norm_loss", false, false, true, "deprecated and ignored by Axolotl"},
    {"rpo_alpha", false, false, true, "deprecated and ignored by Axolotl"},
    {"dpo_use_logits_to_keep", false, false, true, "deprecated and ignored by Axolotl"},
    {"dpo_generate_during_eval", false, false, true, "deprecated and ignored by Axolotl"},
    {"dpo_", true, true, false, "this DPO option is not implemented (supported: dpo_label_smoothing, dpo_use_weighting, "
                                "dpo_padding_free)"},
    {"kto_", true, true, false, "this KTO option is not implemented (supported: kto_desirable_weight, kto_undesirable_weight)"},
    {"trl", false, true, false, "TRL trainers are not implemented"},
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
    {"multipack_real_batches", false, true, false, "only Axolotl's default packing (one bin per batch) is implemented"},
    {"model_config_overrides", false, true, false, "model config overrides are not implemented"},
};

}  // namespace

const ForeignKey* find_foreign_key(const std::string& key) {
  for (const auto& k : kKeys) {
    std::string name = k.name;
    if (k.prefix ? key.compare(0, name.size(), name) == 0 : key == name) return &k;
  }
  return nullptr;
}

std::vector<ForeignKey> foreign_keys() { return std::vector<ForeignKey>(std::begin(kKeys), std::end(kKeys)); }

std::vector<std::string> foreign_key_names() {
  std::vector<std::string> out;
  for (const auto& k : kKeys) {
    if (!k.prefix) out.push_back(k.name);
  }
  return out;
}

}  // namespace axolotl::config::detail
