// Typed configuration: one struct per section, filled from either YAML dialect (config/loader.h).
// Modules below cli/ receive only their own section (const LoraConfig&), never YAML or the whole Config.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace axolotl::config {

enum class DType { kAuto, kFloat32, kBFloat16, kFloat16 };
enum class Device { kAuto, kCpu, kCuda };

struct ModelConfig {
  std::string name;             // base_model / model.name: local folder or Hub repo id
  std::string config_path;      // base_model_config: folder with config.json if not `name`
  std::string revision;         // Hub revision (branch, tag or commit)
  std::string model_type;       // Axolotl's model_type (LlamaForCausalLM, AutoModelForCausalLM, ...)
  std::string config_class;     // cls_model_config: transformers' config class (checked against config.json)
  // model_config (Axolotl's overrides_of_model_config): keys set on config.json's values before the model is
  // built, as setattr on the loaded config; a JSON object as text, "" = none.
  std::string config_overrides;
  DType dtype = DType::kAuto;   // weight/compute dtype; auto = from the precision settings
  Device device = Device::kAuto;
  int threads = 0;              // intra-op threads; 0 = number of cores
  bool resize_token_embeddings_to_32x = false;  // grown embeddings get a multiple of 32 rows
  bool reinit_weights = false;  // train from random weights (HF _init_weights) on config.json's architecture
  // num_labels with reward_model: the model is *ForSequenceClassification with a score head of this many
  // outputs (1, as TRL's RewardTrainer needs); 0 = a causal LM.
  int num_labels = 0;
  // With num_labels, process_reward_model: *ForTokenClassification (a score per token, with bias) instead of
  // *ForSequenceClassification.
  bool token_classification = false;
};

struct TokenizerConfig {
  std::string path;             // tokenizer_config / tokenizer.path; empty = the model folder
  std::string type;             // tokenizer_type (LlamaTokenizer, AutoTokenizer, ...)
  std::map<std::string, std::string> special_tokens;  // bos_token, eos_token, pad_token, unk_token
  std::vector<std::string> added_tokens;              // `tokens:`
  std::optional<bool> add_bos_token;
  std::optional<bool> add_eos_token;
  bool use_fast = true;  // tokenizer_use_fast: false = tokenizer.model even when tokenizer.json exists
};

enum class DatasetFormat {
  kPretokenized,    // type omitted: rows already hold input_ids (and optionally labels)
  kAlpaca,          // alpaca (instruct style)
  kAlpacaChat,      // alpaca:chat
  kAlpacaChatml,    // alpaca:chatml
  kAlpacaPhi,       // alpaca:phi (Phi-3 turn markers)
  kChatTemplate,    // chat_template / sharegpt
  kCompletion,      // completion
  kInputOutput,     // input_output
  kCustom,          // nested dialect's column mapping, or Axolotl's user-defined type mapping
  kPreference,      // rl: chatml.* / llama3.* DPO strategies (type_name holds the name; data/preference_strategy.h)
  kBradleyTerry,    // bradley_terry.chat_template: {system, input, chosen, rejected} -> two chat sequences (reward_model)
  kStepwise,        // stepwise_supervised: {prompt, completions, labels} -> one label per step (process_reward_model)
};

struct DatasetConfig {
  std::string path;             // file, folder or Hub dataset repo id
  DatasetFormat format = DatasetFormat::kAlpaca;
  std::string type_name;        // the spelling used in the file (for messages)
  std::string ds_type;          // json | jsonl | ... ; empty = from the extension
  std::vector<std::string> data_files;
  std::string split = "train";
  std::string field;            // json key holding the rows, or the completion text field
  std::string name;             // dataset config name (Hub)
  std::string revision;
  // chat_template / sharegpt
  std::string field_messages = "messages";
  std::map<std::string, std::string> message_property_mappings;  // role -> from, content -> value
  std::map<std::string, std::vector<std::string>> roles;          // our role -> spellings in the data
  std::vector<std::string> roles_to_train;                        // default: assistant
  std::string chat_template;    // per-dataset override
  std::string chat_template_jinja;  // per-dataset chat_template: jinja text or file (set alone: implies jinja)
  std::optional<bool> train_on_eos_turn;       // legacy view: train_on_eos is turn (true) or none (false)
  std::string train_on_eos;                    // all | turn | last | none; empty: unset (Axolotl default turn)
  std::string train_on_eot;                    // all | turn | last | none; empty: follows train_on_eos
  bool train_on_eos_null = false;              // train_on_eos: null given explicitly (Axolotl's legacy path)
  std::string message_field_training;          // per-turn bool key: train this turn or not
  std::string message_field_training_detail;   // per-turn char-span training detail key
  bool drop_system_message = false;
  std::string field_tools = "tools";
  std::string field_thinking = "reasoning_content";
  std::string template_thinking_key = "reasoning_content";  // the message key the template reads it from
  bool split_thinking = false;
  // custom column mapping / user-defined type
  std::string field_system;
  std::string field_instruction = "instruction";
  std::string field_input = "input";
  std::string field_output = "output";
  std::string prompt_format;    // `format`, with {instruction} and {input}
  std::string no_input_format;
  std::string system_prompt;
  std::string system_format = "{system}";
  // preference (rl) chat_template.default
  std::string field_chosen = "chosen";
  std::string field_rejected = "rejected";
  // rl with a flat `type:` map: Axolotl's user_defined.default (prompt_strategies/{dpo,kto}/user_defined.py),
  // the map's keys as given (field_prompt, field_completion, prompt_format, ...); nested: `user_defined:`.
  std::map<std::string, std::string> user_defined;
  bool type_map = false;  // the flat `type:` was a map (custom without rl, user_defined.default with rl)
  // stepwise_supervised (process_reward_model)
  std::string step_separator = "\n";           // appended to each step; its last token carries the step's label
  std::optional<int> max_completion_length;    // cut the joined steps (labels too) at this many tokens
  bool train_on_last_step_only = false;        // only the last step's label is trained
};

enum class AdapterType { kNone, kLora, kQlora };

struct LoraConfig {
  AdapterType type = AdapterType::kNone;
  int rank = 8;
  double alpha = 16.0;
  double dropout = 0.0;
  std::vector<std::string> target_modules;  // default: q_proj, v_proj (PEFT's LLaMA default)
  std::string target_regex;                 // lora_target_modules as one regex string (PEFT: full match)
  bool target_linear = false;               // lora_target_linear: every linear except lm_head
  std::vector<std::string> modules_to_save;
  bool use_rslora = false;
  bool fan_in_fan_out = false;
  std::string model_dir;                    // lora_model_dir: an existing adapter to load
  int loftq_bits = 0;                       // peft.loftq_config.loftq_bits: LoftQ initialisation (4 or 8); 0 = off
};

struct QuantizationConfig {
  bool load_in_4bit = false;
  bool load_in_8bit = false;
  std::string quant_type = "nf4";
  bool double_quant = true;
  int blocksize = 64;
};

// Quantization-aware training (`qat:`, Axolotl's QATConfig in utils/schemas/quantization.py): linear
// layers (and the embedding) train through torchao's fake quantizers; the saved weights stay plain.
enum class QatDType { kNone, kInt4, kInt8, kFloat8, kNvfp4, kMxfp4 };

struct QatConfig {
  bool enabled = false;                            // a `qat:` map was given
  QatDType weight_dtype = QatDType::kInt8;         // Axolotl's default (which its torchao step refuses)
  QatDType activation_dtype = QatDType::kNone;     // none: weights only
  bool quantize_embedding = false;
  std::optional<int64_t> group_size = 32;          // null: the recipe's own (int4: 128)
  std::optional<int64_t> fake_quant_after_n_steps; // off for the first N optimizer steps
};

// One `pretraining_dataset` entry (Axolotl's PretrainingDataset; `type: completion` with `field` is
// read as the same text stream). Streamed, never prepared: data/pretrain_batches.h.
struct PretrainDatasetConfig {
  std::string path;                     // file, folder or Hub dataset repo id (org/name[@revision])
  std::string name;                     // Hub dataset config name: the repo's subfolder of that name
  std::string split = "train";          // Hub: files whose path names this split (when several splits exist)
  std::string text_column = "text";     // JSONL key holding the text (`field` of a completion entry)
  std::string type = "pretrain";        // pretrain | completion
  std::vector<std::string> data_files;  // restricts the files (relative to the folder / repo)
  int64_t skip = 0;                     // documents skipped at the start of every pass
};

// Streaming pretraining (Axolotl's pretraining_dataset, streaming, pretrain_multipack_attn, ...).
struct PretrainConfig {
  std::vector<PretrainDatasetConfig> datasets;  // pretraining_dataset; non-empty = streaming pretraining
  std::optional<bool> streaming;                // `streaming:`; with SFT datasets, rows are prepared in full
  bool multipack_attn = true;                   // with sample_packing: documents of a row do not attend across
  int64_t multipack_buffer_size = 10000;        // streaming_multipack_buffer_size (Axolotl's shuffle buffer)
  std::optional<bool> sample_concatenation;     // pretraining_sample_concatenation
  bool enabled() const { return !datasets.empty(); }
};

// excess_length_strategy: drop the row, cut it to sequence_len, or stop with an error naming it.
enum class ExcessLength { kDrop, kTruncate, kRaise };

struct DataConfig {
  std::vector<DatasetConfig> datasets;
  std::vector<DatasetConfig> test_datasets;
  std::string prepared_path;           // dataset_prepared_path
  double val_set_size = 0.0;           // < 1: fraction, >= 1: count
  int sequence_len = 2048;
  int min_sample_len = 2;
  bool sample_packing = false;
  bool sample_packing_sequentially = false;  // next-fit in sampler order (Axolotl's allocate_sequentially)
  std::optional<bool> eval_sample_packing;
  std::optional<bool> pad_to_sequence_len;  // unset: true with sample packing
  bool train_on_inputs = false;
  bool shuffle_merged_datasets = true;
  std::string chat_template;           // tokenizer_default (empty), a named template, jinja, tokenizer_default_fallback_<name>
  std::string chat_template_jinja;     // chat_template: jinja: inline Jinja text or a file path
  // chat_template_kwargs: the template's extra variables (apply_chat_template kwargs) as the text of a
  // JSON object, keys in the file's order; empty = none.
  std::string chat_template_kwargs;
  std::optional<std::vector<std::string>> eot_tokens;  // end-of-turn tokens; unset: [eos_token]
  ExcessLength excess_length_strategy = ExcessLength::kDrop;
  int num_workers = 0;                 // dataset_processes; 0 = number of cores
  bool skip_bad_rows = false;
  bool exact_deduplication = false;    // dataset_exact_deduplication: drop repeated rows
  bool curriculum_sampling = false;    // rows in dataset order, no shuffling
  PretrainConfig pretrain;             // pretraining_dataset: streamed rows instead of datasets
  std::string rl;                      // = preference.method (derive_config): how preference rows are tokenized
};

enum class Optimizer { kAdamW, kSgd, kMuon };  // kMuon: Muon on matrices, AdamW on the rest (train/muon.h)
enum class Scheduler { kConstant, kConstantWithWarmup, kLinear, kCosine };
enum class Precision { kAuto, kFloat32, kBFloat16, kFloat16 };

// ReLoRA (Axolotl's relora: true, arXiv 2307.05695): every jagged_restart_steps steps the adapter is merged
// into the base weights and started afresh; the LoRA weights' Adam moments are pruned.
enum class ReLoraPrune { kMagnitude, kRandom, kReset };
struct ReLoraConfig {
  bool enabled = false;
  std::optional<double> prune_ratio;  // unset: 0.9, or 0.999 for reset (Axolotl's defaults)
  ReLoraPrune prune_method = ReLoraPrune::kMagnitude;
  bool cpu_offload = false;           // relora_cpu_offload: merges run where the weights are (a note)
};

struct TrainingConfig {
  int num_epochs = 1;
  int64_t max_steps = -1;              // > 0 overrides num_epochs
  int micro_batch_size = 1;
  int gradient_accumulation_steps = 1;
  double learning_rate = 2e-4;
  Optimizer optimizer = Optimizer::kAdamW;
  std::string optimizer_name = "adamw_torch";  // the spelling used in the file
  Scheduler lr_scheduler = Scheduler::kCosine;
  double cosine_min_lr_ratio = 0.0;
  double cosine_constant_lr_ratio = 0.0;  // with cosine_min_lr_ratio: the floor is reached at this share
  std::optional<int> batch_size;          // Axolotl's batch_size: derives gradient_accumulation_steps
  int64_t warmup_steps = 0;
  double warmup_ratio = 0.0;
  double weight_decay = 0.0;
  double max_grad_norm = 1.0;          // 0 disables clipping
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.999;
  double adam_epsilon = 1e-8;
  double sgd_momentum = 0.0;
  bool mixed_precision_bf16 = false;   // bf16: true|auto  -> autocast in bf16
  bool mixed_precision_fp16 = false;   // fp16: true
  Precision precision = Precision::kAuto;  // resolved: bf16 auto / bfloat16 / float16 / float32 keys
  bool tf32 = false;
  bool gradient_checkpointing = false;
  std::vector<std::string> unfrozen_parameters;  // Axolotl's freeze_layers_except patterns (unfreeze_pattern.h)
  int lisa_n_layers = 0;                // LISA: decoder layers trained at a time (0 = off)
  int lisa_step_interval = 0;           // LISA: steps between layer switches
  std::string lisa_layers_attribute = "model.layers";
  uint64_t seed = 42;
  std::optional<double> loss_watchdog_threshold;
  int loss_watchdog_patience = 3;
  ReLoraConfig relora;
  int64_t jagged_restart_steps = 0;         // 0 = off; else the LR restarts (and ReLoRA merges) every this many steps
  int64_t jagged_restart_warmup_steps = 0;  // 0 (unset or false) = 10, as Axolotl's `or 10`
  int64_t jagged_restart_anneal_steps = 0;  // 0 (unset or false) = 1
  bool use_eaft = false;                // EAFT: token losses weighted by their top-k entropy (supervised runs)
  double eaft_alpha = 1.0;              // the entropy's exponent
  int eaft_k = 20;                      // logits the entropy is taken over
};

// eval_strategy (HF IntervalStrategy); auto = unset: eval_steps / evals_per_epoch decide, as in Axolotl.
enum class EvalStrategy { kAuto, kSteps, kEpoch, kNo };

struct EvalConfig {
  EvalStrategy strategy = EvalStrategy::kAuto;
  int64_t eval_steps = 0;              // 0 = use evals_per_epoch
  int evals_per_epoch = 0;
  int early_stopping_patience = 0;     // 0 = off
  int eval_max_new_tokens = 128;
  int eval_table_size = 0;             // sample generations logged per eval
  int eval_batch_size = 0;             // rows per eval forward pass; 0 = micro_batch_size
  std::string metric_for_best_model;   // "" = loss; the eval_ prefix is optional (HF)
  std::optional<bool> greater_is_better;  // unset: false for a name ending in "loss", else true (HF)
};

enum class SaveStrategy { kSteps, kEpoch, kNo, kBest };

struct CheckpointConfig {
  SaveStrategy save_strategy = SaveStrategy::kSteps;  // steps: save_steps/saves_per_epoch; epoch; no; best
  bool load_best_model_at_end = false;  // as Axolotl's builder derives it (derive_config)
  bool save_only_model = false;        // checkpoints without optimizer/scheduler/RNG state (not resumable)
  int64_t save_steps = 0;              // 0 = use saves_per_epoch
  int saves_per_epoch = 0;
  int save_total_limit = 0;            // 0 = keep all
  std::string resume_from_checkpoint;
  bool auto_resume_from_checkpoints = false;
};

struct LoggingConfig {
  int64_t logging_steps = 1;
  bool use_tensorboard = false;
};

struct DistributedConfig {
  int ddp_timeout_s = 120;
  std::string backend = "auto";        // auto | gloo | nccl
};

// Preference training (rl:), Axolotl's keys as they reach TRL 1.8 (FORMATS2.md §4.1).
struct PreferenceConfig {
  std::string method;                  // rl: "" = supervised; dpo | ipo | orpo | simpo | kto
  std::optional<double> rl_beta;       // TRL beta (default 0.1); precedence rl_beta > orpo_alpha
  std::optional<double> orpo_alpha;
  double dpo_label_smoothing = 0.0;    // no effect on TRL 1.8's sigmoid loss; SimPO/CPO's label_smoothing
  bool dpo_use_weighting = false;
  bool dpo_padding_free = false;
  double simpo_gamma = 0.5;
  double cpo_alpha = 1.0;
  double kto_desirable_weight = 1.0;
  double kto_undesirable_weight = 1.0;
  bool precompute_ref_log_probs = false;
  std::optional<int> max_prompt_len;
  // reward_model: Bradley-Terry reward modelling (TRL 1.8 RewardTrainer) on bradley_terry.* pairs.
  bool reward_model = false;
  std::optional<double> center_rewards_coefficient;  // + coef · mean((r_chosen + r_rejected)²)
  // process_reward_model: token classification (TRL's PRMTrainer) on stepwise_supervised rows.
  bool process_reward_model = false;
};

struct OutputConfig {
  std::string output_dir = "./outputs";
};

struct Config {
  std::string source_file;             // the YAML this came from (for messages and `validate`)
  ModelConfig model;
  TokenizerConfig tokenizer;
  DataConfig data;
  LoraConfig adapter;
  QuantizationConfig quantization;
  QatConfig qat;
  TrainingConfig training;
  EvalConfig eval;
  CheckpointConfig checkpoint;
  LoggingConfig logging;
  DistributedConfig distributed;
  OutputConfig output;
  PreferenceConfig preference;
  bool strict = false;
};

}  // namespace axolotl::config
