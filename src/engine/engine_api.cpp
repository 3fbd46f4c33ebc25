// libaxolotl_engine.so's exported table of entry points (see engine_api.h).
#include "axolotl/engine/engine_api.h"

#include <filesystem>
#include <iostream>
#include <tuple>
#include <utility>

#include <nlohmann/json.hpp>

#include "axolotl/adapters/lora_injection.h"
#include "axolotl/adapters/merge_folder.h"
#include "axolotl/data/tokenizer.h"
#include "axolotl/data/tokenizer_save.h"
#include "axolotl/io/hub_resolve.h"
#include "axolotl/model/inference.h"
#include "axolotl/model/pretrained.h"
#include "axolotl/model/tiny_model.h"
#include "axolotl/train/trainer.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::engine {
namespace {

// The launcher (cli) already started the workers; here `options` only carries --nproc-per-node of a
// worker that torchrun started (RANK set), which cmd_engine ignores with a warning. Each worker joins
// the group its RANK/WORLD_SIZE/MASTER_* environment describes inside run_training.
int train(const config::Config& config, const TrainOptions& /*options*/) { return train::run_training(config); }
int merge(const config::Config& config, const MergeOptions& options) {
  // The adapter: lora_model_dir when set, else where training saves the final adapter (output_dir).
  adapters::MergeJob job;
  job.base_dir = model::model_folder(config.model);
  job.config_dir = config.model.config_path;
  job.tokenizer_dir = config.tokenizer.path;
  job.adapter_dir = config.adapter.model_dir.empty() ? config.output.output_dir
                                                    : io::resolve_adapter_dir(config.adapter.model_dir);
  job.output_dir = options.output_dir;
  job.config_overrides = config.model.config_overrides;
  job.force = options.force;
  if (options.max_shard_bytes <= 0) {
    throw UsageError(Diagnostic{{}, "--max-shard-size", "shard size must be positive",
                                std::to_string(options.max_shard_bytes), "bytes > 0", {}});
  }
  job.max_shard_bytes = static_cast<uint64_t>(options.max_shard_bytes);
  // The training precision is not the merge's: without --dtype the base keeps its own torch_dtype.
  const std::string& d = options.dtype;
  if (d == "float32" || d == "fp32") job.dtype = torch::kFloat32;
  if (d == "bfloat16" || d == "bf16") job.dtype = torch::kBFloat16;
  if (d == "float16" || d == "fp16") job.dtype = torch::kFloat16;
  // The tokenizer as training saw it (tokens:, special_tokens), written as save_pretrained does.
  const std::string tok_dir = config.tokenizer.path.empty() ? job.base_dir : config.tokenizer.path;
  if (std::filesystem::exists(tok_dir)) {
    const data::TokenizerSave plan = data::plan_tokenizer_save(tok_dir, config.tokenizer, nullptr);
    if (!plan.added.empty() || !plan.slots.empty()) {  // else the files are copied as they are
      job.write_tokenizer = [plan](const std::string& dir) { data::write_tokenizer_files(plan, dir); };
    }
  }
  if (config.preference.reward_model || config.preference.process_reward_model) {
    // The id the score is read before, as training used it (train/trainer.cpp batch_pad_id): pad, else EOS.
    const auto tok = data::Tokenizer::load(tok_dir, config.tokenizer);
    job.classifier_pad_id = tok->pad_id() >= 0 ? tok->pad_id() : tok->eos_id();
    if (*job.classifier_pad_id < 0) {
      throw Error(Diagnostic{{}, "special_tokens", "a reward model needs a pad or EOS token: its score is read at the "
                             "last token before the padding", "a tokenizer with neither", "special_tokens: {pad_token: ...}",
                             {}});
    }
  }
  adapters::merge_folder(job);
  return 0;
}
// The config's chat_template_kwargs, then --chat-template-kwargs over them, then --enable-thinking.
std::string inference_template_kwargs(const std::string& from_config, const InferenceOptions& options) {
  nlohmann::ordered_json kwargs = nlohmann::ordered_json::object();
  if (!from_config.empty()) kwargs = nlohmann::ordered_json::parse(from_config);
  if (!options.chat_template_kwargs.empty()) {
    auto cli = nlohmann::ordered_json::parse(options.chat_template_kwargs, nullptr, false);
    if (cli.is_discarded() || !cli.is_object()) {
      Diagnostic d;
      d.key = "--chat-template-kwargs";
      d.message = "not a JSON object of template variables";
      d.found = options.chat_template_kwargs;
      d.expected = "e.g. '{\"enable_thinking\": false}'";
      throw ConfigError({d});
    }
    for (auto it = cli.begin(); it != cli.end(); ++it) kwargs[it.key()] = it.value();
  }
  if (options.enable_thinking) kwargs["enable_thinking"] = *options.enable_thinking;
  return kwargs.empty() ? "" : kwargs.dump();
}

// The template inference renders with, as training chose it (Axolotl's resolve_chat_template_str): the
// top-level chat_template (or chat_template_jinja), else the first dataset's own when it is a
// chat_template dataset, else tokenizer_default. Returns {choice, jinja text}.
std::pair<std::string, std::string> inference_chat_template(const config::DataConfig& data) {
  if (!data.chat_template.empty() || !data.chat_template_jinja.empty() || data.datasets.empty()) {
    return {data.chat_template, data.chat_template_jinja};
  }
  const config::DatasetConfig& ds = data.datasets.front();
  if (ds.format != config::DatasetFormat::kChatTemplate || (ds.chat_template.empty() && ds.chat_template_jinja.empty())) {
    return {data.chat_template, data.chat_template_jinja};
  }
  return {ds.chat_template.empty() ? "jinja" : ds.chat_template, ds.chat_template_jinja};  // as RowEncoder reads it
}

int inference(const config::Config& config, const InferenceOptions& options) {
  if (config.preference.reward_model || config.preference.process_reward_model) {
    const bool prm = config.preference.process_reward_model;
    throw UsageError(Diagnostic{{config.source_file, 0, 0}, prm ? "process_reward_model" : "reward_model",
                                "a reward model scores sequences; inference generates text",
                                prm ? "process_reward_model: true" : "reward_model: true", "a causal-LM config",
                                std::string("score with transformers (") +
                                    (prm ? "AutoModelForTokenClassification" : "AutoModelForSequenceClassification") +
                                    "); there is no scoring command here yet"});
  }
  model::InferenceRequest request;
  request.prompts = options.prompts;
  request.from_stdin = options.prompts_from_stdin;
  request.template_name = options.template_name;
  request.chat = options.chat;
  std::tie(request.chat_template, request.chat_template_jinja) = inference_chat_template(config.data);
  if (config.data.eot_tokens) request.eot_tokens = *config.data.eot_tokens;
  request.chat_template_kwargs = inference_template_kwargs(config.data.chat_template_kwargs, options);
  request.generation.max_new_tokens = options.max_new_tokens;
  request.generation.sampling = {options.temperature, options.top_k, options.top_p, options.repetition_penalty,
                                 options.seed};
  // The adapter: lora_model_dir when set, else the one training left in output_dir (as merge does).
  config::LoraConfig lora = config.adapter;
  if (lora.model_dir.empty() && lora.type != config::AdapterType::kNone &&
      std::filesystem::exists(std::filesystem::path(config.output.output_dir) / "adapter_config.json")) {
    lora.model_dir = config.output.output_dir;
  }
  if (!lora.model_dir.empty()) {
    if (lora.type == config::AdapterType::kNone) lora.type = config::AdapterType::kLora;
    log::info("inference", "adapter: {}", lora.model_dir);
  } else {
    log::info("inference", "no adapter found (no lora_model_dir, none in {}): using the base model",
              config.output.output_dir.empty() ? "output_dir" : config.output.output_dir);
  }
  if (!lora.model_dir.empty()) {
    request.prepare_model = [lora, &config](model::LlamaForCausalLMImpl& m) {
      adapters::setup_adapters(m, lora, config.quantization, config.model.name);
    };
  }
  return model::run_inference(config.model, config.tokenizer, request, std::cin, std::cout);
}
int evaluate(const config::Config& config) {
  // The adapter to evaluate: lora_model_dir when set, else the one training left in output_dir.
  config::Config c = config;
  if (c.adapter.model_dir.empty() && c.adapter.type != config::AdapterType::kNone &&
      std::filesystem::exists(std::filesystem::path(c.output.output_dir) / "adapter_config.json")) {
    c.adapter.model_dir = c.output.output_dir;
  }
  if (!c.adapter.model_dir.empty()) log::info("evaluate", "adapter: {}", c.adapter.model_dir);
  return train::run_evaluation(c);
}
int create_tiny_model(const TinyModelOptions& options) {
  model::create_tiny_model(options.output_dir, options.corpus_path, options.force, options.seed, options.family,
                           options.tokenizer_dir, options.intermediate_size);
  return 0;
}

const Api kApi{kApiVersion, &train, &merge, &inference, &create_tiny_model, &evaluate};

}  // namespace
}  // namespace axolotl::engine

extern "C" __attribute__((visibility("default"))) const axolotl::engine::Api* axolotl_engine_api() {
  return &axolotl::engine::kApi;
}
