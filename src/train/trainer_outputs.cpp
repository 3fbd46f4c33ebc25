// The training loop's reports for people and tools (trainer_loop.h): the TensorBoard run folder with the
// resolved config and hyper-parameters, and the README.md model card.
#include <torch/version.h>

#include "axolotl/data/jinja/value.h"
#include "axolotl/io/hub_download.h"
#include "axolotl/model/hf_versions.h"
#include "axolotl/train/tensorboard_summary.h"
#include "trainer_loop.h"

namespace axolotl::train::detail {
namespace {

const char* adapter_name(config::AdapterType t) {
  switch (t) {
    case config::AdapterType::kLora: return "lora";
    case config::AdapterType::kQlora: return "qlora";
    default: return "none";
  }
}

const char* scheduler_name(config::Scheduler s) {
  switch (s) {
    case config::Scheduler::kConstant: return "constant";
    case config::Scheduler::kConstantWithWarmup: return "constant_with_warmup";
    case config::Scheduler::kLinear: return "linear";
    default: return "cosine";
  }
}

// The optimizer that ran, in Trainer's OptimizerNames spelling.
const char* optimizer_name(config::Optimizer o) {
  return o == config::Optimizer::kSgd ? "sgd" : o == config::Optimizer::kMuon ? "muon" : "adamw_torch";
}

std::string py(double d) { return data::jinja::python_float_repr(d); }

// `license:` of a local model folder's README.md front matter (as the Hub shows it); empty otherwise.
std::string local_license(const std::string& folder) {
  std::error_code ec;
  if (folder.empty() || !fs::is_directory(folder, ec)) return "";
  std::ifstream in(fs::path(folder) / "README.md");
  std::string line;
  if (!std::getline(in, line) || line != "---") return "";
  while (std::getline(in, line) && line != "---") {
    if (line.rfind("license:", 0) != 0) continue;
    std::string v = line.substr(8);
    v.erase(0, v.find_first_not_of(" \t"));
    while (!v.empty() && (v.back() == ' ' || v.back() == '\r')) v.pop_back();
    if (v.size() >= 2 && (v.front() == '\'' || v.front() == '"') && v.back() == v.front()) v = v.substr(1, v.size() - 2);
    return v;
  }
  return "";
}

}  // namespace

std::vector<HParam> Loop::hparams() const {
  const auto& t = c_.training;
  std::vector<HParam> h = {{"base_model", c_.model.name},
                           {"adapter", std::string(adapter_name(c_.adapter.type))},
                           {"learning_rate", t.learning_rate},
                           {"micro_batch_size", static_cast<double>(t.micro_batch_size)},
                           {"gradient_accumulation_steps", static_cast<double>(t.gradient_accumulation_steps)},
                           {"world_size", static_cast<double>(dist_.world_size())},
                           {"num_epochs", static_cast<double>(schedule_.epoch_end_steps.size())},
                           {"max_steps", static_cast<double>(schedule_.total_steps)},
                           {"optimizer", std::string(optimizer_name(t.optimizer))},
                           {"lr_scheduler", std::string(scheduler_name(t.lr_scheduler))},
                           {"warmup_steps", static_cast<double>(schedule_.warmup_steps)},
                           {"weight_decay", t.weight_decay},
                           {"max_grad_norm", t.max_grad_norm},
                           {"seed", static_cast<double>(t.seed)},
                           {"sequence_len", static_cast<double>(c_.data.sequence_len)},
                           {"sample_packing", c_.data.sample_packing}};
  if (c_.adapter.type != config::AdapterType::kNone) {
    h.push_back({"lora_r", static_cast<double>(c_.adapter.rank)});
    h.push_back({"lora_alpha", c_.adapter.alpha});
    h.push_back({"lora_dropout", c_.adapter.dropout});
  }
  if (!c_.preference.method.empty()) h.push_back({"rl", c_.preference.method});
  if (c_.preference.reward_model) h.push_back({"reward_model", true});
  if (c_.preference.process_reward_model) h.push_back({"process_reward_model", true});
  return h;
}

void Loop::open_tensorboard() {
  // Trainer's logging_dir: a new runs/<Mon>DD_HH-MM-SS_<host> for every start, a resume included, so
  // that runs never overlay; TensorBoard shows each folder as its own run.
  const fs::path dir = out_ / "runs" / run_folder_name(std::time(nullptr), local_hostname());
  tensorboard_ = std::make_unique<TensorBoardWriter>(dir.string());
  tensorboard_->add_text("axolotl_config", "```yaml\n" + config::to_yaml(c_, "resolved config of this run") + "```\n");
  std::vector<std::string> metrics = {"train/loss"};
  if (eval_loader_) metrics.push_back("eval/loss");
  tensorboard_->add_hparams(hparams(), metrics);
}

ModelCard Loop::model_card() const {
  const auto& t = c_.training;
  ModelCard card;
  std::string name = c_.output.output_dir;  // Axolotl: output_dir.lstrip("./")
  name.erase(0, name.find_first_not_of("./"));
  card.model_name = name;
  card.base_model = s_.adapter.r > 0 && !s_.adapter.base_model_name_or_path.empty() ? s_.adapter.base_model_name_or_path
                                                                                   : c_.model.name;
  std::error_code ec;
  card.base_model_on_hub = !c_.model.name.empty() && !fs::exists(c_.model.name, ec) && io::is_repo_id(c_.model.name);
  if (card.base_model_on_hub) card.base_model = c_.model.name;
  card.adapter = s_.adapter.r > 0;
  card.license = local_license(c_.model.name);
  if (c_.preference.reward_model) {  // AxolotlRewardTrainer: tag_names ["axolotl", "reward"], no dataset_tags
    card.extra_tags.push_back("reward");
  } else if (c_.preference.process_reward_model) {  // AxolotlPRMTrainer: ["axolotl", "prm"]
    card.extra_tags.push_back("prm");
  } else if (c_.preference.method.empty()) {  // Axolotl passes no dataset_tags to TRL trainers
    for (const auto& d : c_.data.datasets)
      if (!fs::is_directory(d.path, ec) && d.path.rfind("https://", 0) != 0) card.datasets.push_back(d.path);
  } else {
    card.extra_tags.push_back(c_.preference.method);
  }
  // Trainer's extract_hyperparameters_from_trainer, in its order and wording.
  const int world = dist_.world_size();
  const int eval_batch = c_.eval.eval_batch_size > 0 ? c_.eval.eval_batch_size : t.micro_batch_size;
  auto& h = card.hyperparameters;
  h.emplace_back("learning_rate", py(t.learning_rate));
  h.emplace_back("train_batch_size", std::to_string(t.micro_batch_size));
  h.emplace_back("eval_batch_size", std::to_string(eval_batch));
  h.emplace_back("seed", std::to_string(t.seed));
  if (world > 1) {
    h.emplace_back("distributed_type", s_.model->device().is_cuda() ? "multi-GPU" : "multi-CPU");
    h.emplace_back("num_devices", std::to_string(world));
  }
  if (t.gradient_accumulation_steps > 1) h.emplace_back("gradient_accumulation_steps", std::to_string(t.gradient_accumulation_steps));
  const int64_t total_train = static_cast<int64_t>(t.micro_batch_size) * world * t.gradient_accumulation_steps;
  if (total_train != t.micro_batch_size) h.emplace_back("total_train_batch_size", std::to_string(total_train));
  if (eval_batch * world != eval_batch) h.emplace_back("total_eval_batch_size", std::to_string(eval_batch * world));
  h.emplace_back("optimizer", fmt::format("Use {} with betas=({},{}) and epsilon={} and optimizer_args=No additional "
                                          "optimizer arguments",
                                          optimizer_name(t.optimizer), py(t.adam_beta1), py(t.adam_beta2), py(t.adam_epsilon)));
  h.emplace_back("lr_scheduler_type", scheduler_name(t.lr_scheduler));
  if (t.warmup_ratio != 0.0) {
    h.emplace_back("lr_scheduler_warmup_ratio", py(t.warmup_ratio));
  } else if (schedule_.warmup_steps != 0) {
    h.emplace_back("lr_scheduler_warmup_steps", std::to_string(schedule_.warmup_steps));
  }
  if (t.max_steps > 0) {
    h.emplace_back("training_steps", std::to_string(t.max_steps));
  } else {
    h.emplace_back("num_epochs", py(static_cast<double>(t.num_epochs)));  // Axolotl: float(num_epochs)
  }
  if (t.mixed_precision_fp16) h.emplace_back("mixed_precision_training", "Native AMP");
  if (!c_.source_file.empty() && fs::is_regular_file(c_.source_file, ec)) {
    std::ifstream in(c_.source_file);
    std::stringstream ss;
    ss << in.rdbuf();
    card.config_text = ss.str();
  }
  card.tool_version = AXOLOTL_VERSION;
  card.torch_version = TORCH_VERSION;
  card.transformers_version = model::kTransformersVersion;
  card.peft_version = model::kPeftVersion;
  return card;
}

void Loop::write_model_card() const {
  ModelCard card = model_card();
  if (relora_) card.adapter = false;  // ReLoRA's output is the merged model (its checkpoints hold adapters)
  train::write_model_card((out_ / "README.md").string(), card, state_.log_history);
}

}  // namespace axolotl::train::detail
