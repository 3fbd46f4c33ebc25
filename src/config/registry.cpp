// The table of every top-level config field: nested path, Axolotl's flat key(s), type, limits and
// help, declared once. Parsing of both dialects, overrides, `validate` output and docs read it.
// Dataset entries have their own table (dataset_fields.cpp); precision/optimizer/adapter spellings
// with side effects are in special_fields.cpp.
#include "field.h"
#include "pretrain_fields.h"
#include "qat_fields.h"
#include "relora_fields.h"
#include "reward_fields.h"
#include "special_fields.h"

namespace axolotl::config::detail {
namespace {

const Names<DType> kDTypes = {{"auto", DType::kAuto},         {"float32", DType::kFloat32},
                              {"bfloat16", DType::kBFloat16}, {"float16", DType::kFloat16},
                              {"fp32", DType::kFloat32},      {"bf16", DType::kBFloat16},
                              {"fp16", DType::kFloat16}};
const Names<Device> kDevices = {{"auto", Device::kAuto}, {"cpu", Device::kCpu}, {"cuda", Device::kCuda}};
const Names<Scheduler> kSchedulers = {{"cosine", Scheduler::kCosine},
                                      {"linear", Scheduler::kLinear},
                                      {"constant", Scheduler::kConstant},
                                      {"constant_with_warmup", Scheduler::kConstantWithWarmup}};
const Names<ExcessLength> kExcess = {{"drop", ExcessLength::kDrop}, {"truncate", ExcessLength::kTruncate},
                                    {"raise", ExcessLength::kRaise}};
const Names<std::string> kBackends = {{"auto", "auto"}, {"gloo", "gloo"}, {"nccl", "nccl"}};
const Names<std::string> kQuantTypes = {{"nf4", "nf4"}, {"fp4", "fp4"}};
const Names<EvalStrategy> kEvalStrategies = {{"auto", EvalStrategy::kAuto},
                                             {"steps", EvalStrategy::kSteps},
                                             {"epoch", EvalStrategy::kEpoch},
                                             {"no", EvalStrategy::kNo}};
const Names<SaveStrategy> kSaveStrategies = {
    {"steps", SaveStrategy::kSteps}, {"epoch", SaveStrategy::kEpoch}, {"no", SaveStrategy::kNo},
    {"best", SaveStrategy::kBest}};

// Axolotl's `torch_dtype: bfloat16`: the weight dtype, spelt as model.dtype (flat only, not dumped).
Field torch_dtype_alias() {
  Field f = choice<Config>("", {"torch_dtype"}, AXOLOTL_REF(model.dtype), kDTypes, "weight dtype (sets model.dtype)");
  f.get = nullptr;
  return f;
}
// Axolotl's deprecated `evaluation_strategy`: read as eval_strategy unless that is set too (flat only).
Field evaluation_strategy_alias() {
  Field f = choice<Config>("", {"evaluation_strategy"}, AXOLOTL_REF(eval.strategy), kEvalStrategies,
                           "deprecated spelling of eval_strategy");
  f.get = nullptr;
  f.deprecated_for = "eval_strategy";
  auto set = f.set;
  f.set = [set](Config& c, const YAML::Node& n, State& st, const std::string& key) {
    st.note(st.at(n), key, "deprecated in Axolotl; read as eval_strategy");
    if (st.was_set("eval.strategy")) return;  // Axolotl copies it only when eval_strategy is unset
    set(c, n, st, key);
  };
  return f;
}
// grpo, gdpo and ebft (Axolotl's online methods) are read so that checks.cpp refuses them by name.
const Names<std::string> kRlMethods = {{"", ""},         {"dpo", "dpo"},   {"ipo", "ipo"},   {"orpo", "orpo"},
                                       {"simpo", "simpo"}, {"kto", "kto"},   {"grpo", "grpo"}, {"gdpo", "gdpo"},
                                       {"ebft", "ebft"}};

std::vector<Field> build() {
  using C = Config;
  std::vector<Field> f = {
      // model
      plain<C>("model.name", {"base_model"}, AXOLOTL_REF(model.name),
               "local model folder or Hugging Face repo id (required)"),
      plain<C>("model.config", {"base_model_config"}, AXOLOTL_REF(model.config_path),
               "folder holding config.json when it is not the model folder"),
      plain<C>("model.revision", {"revision_of_model"}, AXOLOTL_REF(model.revision),
               "Hub branch, tag or commit of the model"),
      plain<C>("model.type", {"model_type"}, AXOLOTL_REF(model.model_type),
               "Axolotl's model class name (only LLaMA-architecture models are supported)"),
      config_overrides_field(),
      plain<C>("model.config_class", {"cls_model_config"}, AXOLOTL_REF(model.config_class),
               "transformers' config class for config.json (Gemma3TextConfig, ...): must be its family's own"),
      choice<C>("model.dtype", {}, AXOLOTL_REF(model.dtype), kDTypes,
                "weight dtype; auto = the training precision (flat: bfloat16/float16/float32: true)"),
      choice<C>("model.device", {"device"}, AXOLOTL_REF(model.device), kDevices, "where to run; auto = CUDA when present"),
      plain<C>("model.threads", {"threads"}, AXOLOTL_REF(model.threads), "intra-op CPU threads; 0 = all cores",
               at_least(0)),
      plain<C>("model.resize_token_embeddings_to_32x", {"resize_token_embeddings_to_32x"},
               AXOLOTL_REF(model.resize_token_embeddings_to_32x),
               "embedding rows: the tokenizer size rounded up to a multiple of 32 (grown when fewer)"),
      plain<C>("model.reinit_weights", {"reinit_weights"}, AXOLOTL_REF(model.reinit_weights),
               "random weights (HF _init_weights, seeded by seed) instead of the checkpoint's; config.json still used"),
      // tokenizer
      plain<C>("tokenizer.path", {"tokenizer_config"}, AXOLOTL_REF(tokenizer.path),
               "tokenizer folder or repo id; empty = the model's"),
      plain<C>("tokenizer.type", {"tokenizer_type"}, AXOLOTL_REF(tokenizer.type),
               "Axolotl's tokenizer class name (informational: sentencepiece is used)"),
      plain<C>("tokenizer.special_tokens", {"special_tokens"}, AXOLOTL_REF(tokenizer.special_tokens),
               "bos_token / eos_token / pad_token / unk_token overrides"),
      added_tokens_field(),
      plain<C>("tokenizer.add_bos_token", {"add_bos_token"}, AXOLOTL_REF(tokenizer.add_bos_token),
               "prepend BOS; unset = the tokenizer's setting"),
      plain<C>("tokenizer.add_eos_token", {"add_eos_token"}, AXOLOTL_REF(tokenizer.add_eos_token),
               "append EOS; unset = the tokenizer's setting"),
      plain<C>("tokenizer.use_fast", {"tokenizer_use_fast"}, AXOLOTL_REF(tokenizer.use_fast),
               "read tokenizer.json when present; false = the sentencepiece tokenizer.model"),
      // data
      datasets_field("datasets", {"datasets"}, false),
      datasets_field("test_datasets", {"test_datasets"}, true),
      plain<C>("data.prepared_path", {"dataset_prepared_path"}, AXOLOTL_REF(data.prepared_path),
               "cache folder for tokenized data; empty = none"),
      plain<C>("data.val_set_size", {"val_set_size"}, AXOLOTL_REF(data.val_set_size),
               "held-out share (< 1) or row count (>= 1)", at_least(0)),
      plain<C>("data.sequence_len", {"sequence_len"}, AXOLOTL_REF(data.sequence_len), "max tokens per sample",
               between(1, 1 << 20)),
      plain<C>("data.min_sample_len", {"min_sample_len"}, AXOLOTL_REF(data.min_sample_len),
               "shorter samples are dropped", at_least(1)),
      plain<C>("data.sample_packing", {"sample_packing"}, AXOLOTL_REF(data.sample_packing),
               "pack several samples per row (block-diagonal attention)"),
      plain<C>("data.sample_packing_sequentially", {"sample_packing_sequentially"},
               AXOLOTL_REF(data.sample_packing_sequentially),
               "pack rows in sampler order, a new row when the next sample does not fit (no sorting)"),
      plain<C>("data.eval_sample_packing", {"eval_sample_packing"}, AXOLOTL_REF(data.eval_sample_packing),
               "packing for evaluation; unset = sample_packing"),
      plain<C>("data.pad_to_sequence_len", {"pad_to_sequence_len"}, AXOLOTL_REF(data.pad_to_sequence_len),
               "pad rows to sequence_len; unset = sample_packing"),
      plain<C>("data.train_on_inputs", {"train_on_inputs"}, AXOLOTL_REF(data.train_on_inputs),
               "also compute the loss on prompt tokens"),
      plain<C>("data.shuffle_merged_datasets", {"shuffle_merged_datasets"},
               AXOLOTL_REF(data.shuffle_merged_datasets), "shuffle after merging datasets"),
      plain<C>("data.chat_template", {"chat_template"}, AXOLOTL_REF(data.chat_template),
               "chat template for chat_template datasets: tokenizer_default (empty), tokenizer_default_fallback_<name>, "
               "jinja, chatml, llama2, llama3, qwen_25, qwen3, gemma, gemma3, phi_3, phi_4, mistral_v1, mistral_v2v3, "
               "mistral_v3_tekken, alpaca"),
      plain<C>("data.chat_template_jinja", {"chat_template_jinja"}, AXOLOTL_REF(data.chat_template_jinja),
               "with chat_template: jinja, the Jinja template text or a file path"),
      chat_template_kwargs_field(),
      plain<C>("data.eot_tokens", {"eot_tokens"}, AXOLOTL_REF(data.eot_tokens),
               "chat_template: end-of-turn tokens trained per train_on_eot; default [eos_token]"),
      choice<C>("data.excess_length_strategy", {"excess_length_strategy"}, AXOLOTL_REF(data.excess_length_strategy),
                kExcess, "what to do with samples longer than sequence_len: drop them, truncate them, or raise an error "
                "naming the first (file:line, lengths)"),
      plain<C>("data.num_workers", {"dataset_processes"}, AXOLOTL_REF(data.num_workers),
               "tokenization threads; 0 = all cores", at_least(0)),
      plain<C>("data.skip_bad_rows", {"skip_bad_rows"}, AXOLOTL_REF(data.skip_bad_rows),
               "skip malformed dataset rows with a warning instead of failing"),
      plain<C>("data.exact_deduplication", {"dataset_exact_deduplication"}, AXOLOTL_REF(data.exact_deduplication),
               "drop rows whose tokens repeat an earlier row (train and eval each)"),
      plain<C>("data.curriculum_sampling", {"curriculum_sampling"}, AXOLOTL_REF(data.curriculum_sampling),
               "train on rows in dataset order (no shuffling)"),
      // adapter
      adapter_type_field(),
      plain<C>("adapter.rank", {"lora_r"}, AXOLOTL_REF(adapter.rank), "LoRA rank r", between(1, 65536)),
      plain<C>("adapter.alpha", {"lora_alpha"}, AXOLOTL_REF(adapter.alpha), "LoRA scaling numerator (scale = alpha/r)",
               above(0)),
      plain<C>("adapter.dropout", {"lora_dropout"}, AXOLOTL_REF(adapter.dropout), "dropout on the LoRA input",
               between(0, 1, true)),
      target_modules_field(),
      plain<C>("adapter.target_linear", {"lora_target_linear"}, AXOLOTL_REF(adapter.target_linear),
               "adapt every linear layer except lm_head"),
      plain<C>("adapter.modules_to_save", {"lora_modules_to_save"}, AXOLOTL_REF(adapter.modules_to_save),
               "modules trained in full and saved with the adapter (embed_tokens, lm_head)"),
      peft_field(),
      plain<C>("adapter.use_rslora", {"peft_use_rslora"}, AXOLOTL_REF(adapter.use_rslora),
               "rank-stabilised scale alpha/sqrt(r)"),
      plain<C>("adapter.fan_in_fan_out", {"lora_fan_in_fan_out"}, AXOLOTL_REF(adapter.fan_in_fan_out),
               "weights stored transposed (GPT-2 style); false for LLaMA"),
      plain<C>("adapter.model_dir", {"lora_model_dir"}, AXOLOTL_REF(adapter.model_dir),
               "existing PEFT adapter folder to start from"),
      // quantization
      plain<C>("quantization.load_in_4bit", {"load_in_4bit"}, AXOLOTL_REF(quantization.load_in_4bit),
               "quantize base weights to 4 bit (QLoRA)"),
      plain<C>("quantization.load_in_8bit", {"load_in_8bit"}, AXOLOTL_REF(quantization.load_in_8bit),
               "load base weights in 8 bit"),
      choice<C>("quantization.quant_type", {"bnb_4bit_quant_type"}, AXOLOTL_REF(quantization.quant_type),
                kQuantTypes, "4-bit code book"),
      plain<C>("quantization.double_quant", {"bnb_4bit_use_double_quant"}, AXOLOTL_REF(quantization.double_quant),
               "quantize the 4-bit block scales too"),
      plain<C>("quantization.blocksize", {"bnb_4bit_blocksize"}, AXOLOTL_REF(quantization.blocksize),
               "weights per 4-bit block", between(16, 4096)),
      // training
      plain<C>("training.epochs", {"num_epochs"}, AXOLOTL_REF(training.num_epochs), "passes over the data",
               at_least(1)),
      plain<C>("training.max_steps", {"max_steps"}, AXOLOTL_REF(training.max_steps),
               "stop after this many optimizer steps; -1 = from epochs", at_least(-1)),
      plain<C>("training.batch_size", {"micro_batch_size"}, AXOLOTL_REF(training.micro_batch_size),
               "rows per forward pass", between(1, 1 << 20)),
      plain<C>("training.gradient_accumulation", {"gradient_accumulation_steps"},
               AXOLOTL_REF(training.gradient_accumulation_steps), "micro-batches per optimizer step",
               between(1, 1 << 20)),
      plain<C>("training.step_batch_size", {"batch_size"}, AXOLOTL_REF(training.batch_size),
               "Axolotl's batch_size: rows per optimizer step per rank; sets gradient_accumulation_steps to "
               "batch_size / micro_batch_size", between(1, 1 << 30)),
      plain<C>("training.learning_rate", {"learning_rate"}, AXOLOTL_REF(training.learning_rate), "peak learning rate",
               above(0)),
      optimizer_field(),
      choice<C>("training.lr_scheduler", {"lr_scheduler"}, AXOLOTL_REF(training.lr_scheduler), kSchedulers,
                "learning-rate schedule after warm-up"),
      plain<C>("training.cosine_min_lr_ratio", {"cosine_min_lr_ratio"}, AXOLOTL_REF(training.cosine_min_lr_ratio),
               "cosine floor as a share of the peak", between(0, 1)),
      plain<C>("training.cosine_constant_lr_ratio", {"cosine_constant_lr_ratio"},
               AXOLOTL_REF(training.cosine_constant_lr_ratio),
               "with cosine_min_lr_ratio: reach the floor at this share of the steps, then stay", between(0, 1)),
      plain<C>("training.warmup_steps", {"warmup_steps"}, AXOLOTL_REF(training.warmup_steps),
               "linear warm-up steps", at_least(0)),
      plain<C>("training.warmup_ratio", {"warmup_ratio"}, AXOLOTL_REF(training.warmup_ratio),
               "warm-up as a share of all steps", between(0, 1, true)),
      plain<C>("training.lisa_n_layers", {"lisa_n_layers"}, AXOLOTL_REF(training.lisa_n_layers),
               "LISA: train this many randomly chosen decoder layers at a time (full fine-tuning)", at_least(0)),
      plain<C>("training.lisa_step_interval", {"lisa_step_interval"}, AXOLOTL_REF(training.lisa_step_interval),
               "LISA: switch the trained layers every this many steps", at_least(0)),
      plain<C>("training.lisa_layers_attribute", {"lisa_layers_attribute"}, AXOLOTL_REF(training.lisa_layers_attribute),
               "LISA: where the decoder layers are (model.layers; model.language_model.layers for multimodal Gemma-3)"),
      plain<C>("training.unfrozen_parameters", {"unfrozen_parameters"}, AXOLOTL_REF(training.unfrozen_parameters),
               "train only the parameters these regexes match at the start of the name (Axolotl's "
               "freeze_layers_except; a trailing [start:end] keeps only those rows)"),
      plain<C>("training.use_eaft", {"use_eaft"}, AXOLOTL_REF(training.use_eaft),
               "EAFT: weight each trained token's loss by the entropy of its top eaft_k logits, to the power "
               "eaft_alpha (supervised training)"),
      plain<C>("training.eaft_alpha", {"eaft_alpha"}, AXOLOTL_REF(training.eaft_alpha), "EAFT: exponent of the entropy",
               at_least(0)),
      plain<C>("training.eaft_k", {"eaft_k"}, AXOLOTL_REF(training.eaft_k), "EAFT: logits the entropy is taken over",
               between(1, 1 << 30)),
      plain<C>("training.weight_decay", {"weight_decay"}, AXOLOTL_REF(training.weight_decay), "decoupled weight decay",
               at_least(0)),
      plain<C>("training.max_grad_norm", {"max_grad_norm"}, AXOLOTL_REF(training.max_grad_norm),
               "gradient clipping norm; 0 = off", at_least(0)),
      plain<C>("training.adam_beta1", {"adam_beta1"}, AXOLOTL_REF(training.adam_beta1), "AdamW beta1",
               between(0, 1, true)),
      plain<C>("training.adam_beta2", {"adam_beta2"}, AXOLOTL_REF(training.adam_beta2), "AdamW beta2",
               between(0, 1, true)),
      plain<C>("training.adam_epsilon", {"adam_epsilon"}, AXOLOTL_REF(training.adam_epsilon), "AdamW epsilon",
               above(0)),
      plain<C>("training.sgd_momentum", {"sgd_momentum"}, AXOLOTL_REF(training.sgd_momentum), "SGD momentum",
               between(0, 1, true)),
      precision_field(),
      bf16_alias(),
      fp16_alias(),
      dtype_alias("bfloat16", DType::kBFloat16),
      dtype_alias("float16", DType::kFloat16),
      dtype_alias("float32", DType::kFloat32),
      torch_dtype_alias(),
      plain<C>("training.tf32", {"tf32"}, AXOLOTL_REF(training.tf32), "allow TF32 matmuls on CUDA"),
      gradient_checkpointing_field(),
      plain<C>("training.seed", {"seed"}, AXOLOTL_REF(training.seed), "random seed (data order, init, dropout)"),
      plain<C>("training.loss_watchdog_threshold", {"loss_watchdog_threshold"},
               AXOLOTL_REF(training.loss_watchdog_threshold), "stop when the loss stays above this; unset = off",
               above(0)),
      plain<C>("training.loss_watchdog_patience", {"loss_watchdog_patience"},
               AXOLOTL_REF(training.loss_watchdog_patience), "steps above the threshold before stopping", at_least(1)),
      // eval
      choice<C>("eval.strategy", {"eval_strategy"}, AXOLOTL_REF(eval.strategy), kEvalStrategies,
                "steps: every eval_steps (evals_per_epoch, else logging_steps); epoch: at each epoch end; no: never; "
                "auto: eval_steps / evals_per_epoch decide"),
      evaluation_strategy_alias(),
      plain<C>("eval.steps", {"eval_steps"}, AXOLOTL_REF(eval.eval_steps), "evaluate every N steps; 0 = per epoch",
               at_least(0)),
      plain<C>("eval.per_epoch", {"evals_per_epoch"}, AXOLOTL_REF(eval.evals_per_epoch), "evaluations per epoch",
               at_least(0)),
      plain<C>("eval.early_stopping_patience", {"early_stopping_patience"},
               AXOLOTL_REF(eval.early_stopping_patience), "stop after N evals without improvement; 0 = off",
               at_least(0)),
      plain<C>("eval.metric_for_best_model", {"metric_for_best_model"}, AXOLOTL_REF(eval.metric_for_best_model),
               "eval metric that picks the best checkpoint and drives early stopping: loss (default), perplexity or "
               "an objective's metric such as rewards/accuracies; the eval_ prefix is optional"),
      plain<C>("eval.greater_is_better", {"greater_is_better"}, AXOLOTL_REF(eval.greater_is_better),
               "a larger metric_for_best_model is better (default: false for names ending in loss, else true)"),
      plain<C>("eval.max_new_tokens", {"eval_max_new_tokens"}, AXOLOTL_REF(eval.eval_max_new_tokens),
               "tokens generated for eval samples", at_least(1)),
      plain<C>("eval.table_size", {"eval_table_size"}, AXOLOTL_REF(eval.eval_table_size),
               "sample generations logged per eval; 0 = none", at_least(0)),
      plain<C>("eval.batch_size", {"eval_batch_size"}, AXOLOTL_REF(eval.eval_batch_size),
               "rows per eval forward pass; 0 = micro_batch_size", at_least(0)),
      // checkpoint
      choice<C>("checkpoint.save_strategy", {"save_strategy"}, AXOLOTL_REF(checkpoint.save_strategy), kSaveStrategies,
                "steps: every save_steps (or saves_per_epoch); epoch: at each epoch end; no: no checkpoints; best: at "
                "each evaluation that improves metric_for_best_model"),
      plain<C>("checkpoint.load_best_model_at_end", {"load_best_model_at_end"},
               AXOLOTL_REF(checkpoint.load_best_model_at_end),
               "the final weights are the best checkpoint's (by metric_for_best_model); as in Axolotl, only with an "
               "eval split and save_steps a multiple of eval_steps, and also on with early_stopping_patience"),
      plain<C>("checkpoint.save_only_model", {"save_only_model"}, AXOLOTL_REF(checkpoint.save_only_model),
               "checkpoints hold the weights only (no optimizer/scheduler/RNG state: not resumable)"),
      plain<C>("checkpoint.save_steps", {"save_steps"}, AXOLOTL_REF(checkpoint.save_steps),
               "save every N steps; 0 = per epoch", at_least(0)),
      plain<C>("checkpoint.per_epoch", {"saves_per_epoch"}, AXOLOTL_REF(checkpoint.saves_per_epoch),
               "saves per epoch", at_least(0)),
      plain<C>("checkpoint.total_limit", {"save_total_limit"}, AXOLOTL_REF(checkpoint.save_total_limit),
               "checkpoints kept; 0 = all", at_least(0)),
      plain<C>("checkpoint.resume_from", {"resume_from_checkpoint"}, AXOLOTL_REF(checkpoint.resume_from_checkpoint),
               "checkpoint folder to resume from"),
      plain<C>("checkpoint.auto_resume", {"auto_resume_from_checkpoints"},
               AXOLOTL_REF(checkpoint.auto_resume_from_checkpoints), "resume from the newest checkpoint in output_dir"),
      // logging, distributed, output
      plain<C>("logging.steps", {"logging_steps"}, AXOLOTL_REF(logging.logging_steps), "log metrics every N steps",
               at_least(1)),
      plain<C>("logging.tensorboard", {"use_tensorboard"}, AXOLOTL_REF(logging.use_tensorboard),
               "also write TensorBoard event files"),
      plain<C>("distributed.timeout", {"ddp_timeout"}, AXOLOTL_REF(distributed.ddp_timeout_s),
               "seconds to wait for other ranks", at_least(1)),
      choice<C>("distributed.backend", {"ddp_backend"}, AXOLOTL_REF(distributed.backend), kBackends,
                "collective backend"),
      plain<C>("output.dir", {"output_dir"}, AXOLOTL_REF(output.output_dir), "where checkpoints and metrics go"),
      plain<C>("strict", {"strict"}, AXOLOTL_REF(strict), "Axolotl's strict flag (kept for compatibility)"),
      // preference training (rl)
      choice<C>("preference.method", {"rl"}, AXOLOTL_REF(preference.method), kRlMethods,
                "preference training: dpo | ipo | orpo | simpo | kto (TRL 1.8's losses); unset = supervised"),
      plain<C>("preference.beta", {"rl_beta"}, AXOLOTL_REF(preference.rl_beta),
               "TRL beta (DPO/IPO temperature, SimPO scale); default 0.1", above(0)),
      plain<C>("preference.orpo_alpha", {"orpo_alpha"}, AXOLOTL_REF(preference.orpo_alpha),
               "ORPO's lambda (TRL beta when rl_beta is unset)", above(0)),
      plain<C>("preference.label_smoothing", {"dpo_label_smoothing"}, AXOLOTL_REF(preference.dpo_label_smoothing),
               "label smoothing (TRL 1.8: SimPO/CPO only; the DPO sigmoid loss ignores it)", between(0, 0.5, true)),
      plain<C>("preference.use_weighting", {"dpo_use_weighting"}, AXOLOTL_REF(preference.dpo_use_weighting),
               "WPO: each DPO/IPO pair's loss times its detached policy weight (TRL use_weighting)"),
      plain<C>("preference.padding_free", {"dpo_padding_free"}, AXOLOTL_REF(preference.dpo_padding_free),
               "padding-free DPO batches (same losses; rows are padded here)"),
      plain<C>("preference.simpo_gamma", {"simpo_gamma"}, AXOLOTL_REF(preference.simpo_gamma),
               "SimPO target reward margin", at_least(0)),
      plain<C>("preference.cpo_alpha", {"cpo_alpha"}, AXOLOTL_REF(preference.cpo_alpha),
               "weight of the NLL term of CPO/SimPO", at_least(0)),
      plain<C>("preference.kto_desirable_weight", {"kto_desirable_weight"},
               AXOLOTL_REF(preference.kto_desirable_weight), "KTO weight of the desirable rows' losses (TRL desirable_weight)",
               above(0)),
      plain<C>("preference.kto_undesirable_weight", {"kto_undesirable_weight"},
               AXOLOTL_REF(preference.kto_undesirable_weight), "KTO weight of the undesirable rows' losses (TRL undesirable_weight)",
               above(0)),
      plain<C>("preference.precompute_ref_log_probs", {"precompute_ref_log_probs"},
               AXOLOTL_REF(preference.precompute_ref_log_probs),
               "compute reference log-probs once before training (DPO/IPO/KTO; full fine-tuning then holds no frozen copy)"),
      plain<C>("preference.max_prompt_len", {"max_prompt_len"}, AXOLOTL_REF(preference.max_prompt_len),
               "prompt token limit (no effect with TRL 1.8's DPO, which truncates prompt+completion at sequence_len)",
               at_least(1)),
  };
  for (auto& p : pretrain_fields()) f.push_back(std::move(p));  // streaming pretraining
  f.push_back(qat_field());                                       // quantization-aware training
  for (auto& p : reward_fields()) f.push_back(std::move(p));      // reward models
  for (auto& p : relora_fields()) f.push_back(std::move(p));      // ReLoRA and jagged restarts
  return f;
}

}  // namespace

const std::vector<Field>& fields() {
  static const std::vector<Field> table = build();
  return table;
}

}  // namespace axolotl::config::detail
