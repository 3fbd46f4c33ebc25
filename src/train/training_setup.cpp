// Loads tokenizer, data, model and adapters for a training run.
#include "axolotl/train/training_setup.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "axolotl/data/pretrain_batches.h"
#include "axolotl/model/embedding_resize.h"
#include "axolotl/model/pretrained.h"
#include "axolotl/model/runtime.h"
#include "axolotl/train/distributed_grads.h"
#include "axolotl/train/objective_factory.h"
#include "axolotl/train/parameter_freeze.h"
#include "axolotl/util/error.h"
#include "axolotl/util/log.h"

namespace axolotl::train {

namespace {

// The model settings of this worker: with several local workers and neither model.threads nor
// OMP_NUM_THREADS set, the cores are shared out (as the launcher's OMP_NUM_THREADS does).
config::ModelConfig worker_model_config(const config::ModelConfig& model, const DistributedContext& dist) {
  config::ModelConfig m = model;
  if (m.threads <= 0 && dist.local_world_size() > 1 && std::getenv("OMP_NUM_THREADS") == nullptr) {
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    m.threads = std::max(1, cores / dist.local_world_size());
  }
  return m;
}

bool saves_both_tables(const config::LoraConfig& lora) {
  auto has = [&](const char* name) {
    return std::find(lora.modules_to_save.begin(), lora.modules_to_save.end(), name) != lora.modules_to_save.end();
  };
  return has("embed_tokens") && has("lm_head");
}

// Why an adapter run whose vocabulary grows must train the embeddings in full, as Axolotl decides it
// (loaders/utils.py check_model_config, loaders/tokenizer.py): any `tokens:` entry, or a bos/eos/unk
// token that changes and that the unchanged tokenizer splits into more than 2 pieces. A new pad_token,
// a short token and additional special tokens are allowed: their rows stay as initialised. Empty: no
// reason. `base` is the tokenizer without the config's additions.
std::string reason_to_train_embeddings(const config::TokenizerConfig& t, const data::Tokenizer& base) {
  if (!t.added_tokens.empty()) return "tokens: adds " + std::to_string(t.added_tokens.size()) + " token(s)";
  for (const auto& [key, value] : t.special_tokens) {
    int32_t current = -1;
    if (key == "bos_token") current = base.bos_id();
    else if (key == "eos_token") current = base.eos_id();
    else if (key == "unk_token") current = base.unk_id();
    else continue;  // pad_token (exempt in Axolotl) and additional tokens
    if (value.empty() || (current >= 0 && base.id_to_token(current) == value)) continue;
    const size_t pieces = base.encode(value, false, false).size();
    if (pieces > 2) return "special_tokens." + key + " '" + value + "' is new (" + std::to_string(pieces) + " pieces before)";
  }
  return {};
}

// Axolotl's check for an adapter run whose vocabulary grows from `rows` to `needed`: an error when it
// requires [embed_tokens, lm_head] in lora_modules_to_save; otherwise a warning, and the adapter stores
// the resized tables in full (PEFT's save_embedding_layers="auto"). Returns whether it stores them.
bool check_grown_embeddings(const config::Config& c, const std::string& tokenizer_dir, int64_t rows, int64_t needed) {
  if (saves_both_tables(c.adapter)) return false;
  config::TokenizerConfig plain = c.tokenizer;
  plain.special_tokens.clear();
  plain.added_tokens.clear();
  const std::string reason = reason_to_train_embeddings(c.tokenizer, *data::Tokenizer::load(tokenizer_dir, plain));
  if (reason.empty()) {
    log::warn("train", "the token embedding grows from {} to {} rows for the tokenizer; with LoRA and no "
              "lora_modules_to_save the new rows stay as initialised (as in Axolotl), and the adapter stores "
              "embed_tokens and lm_head in full (PEFT's save_embedding_layers)", rows, needed);
    return true;
  }
  const bool has_embed = std::find(c.adapter.modules_to_save.begin(), c.adapter.modules_to_save.end(),
                                   "embed_tokens") != c.adapter.modules_to_save.end();
  Diagnostic d;
  d.key = "lora_modules_to_save";
  d.message = "the token embedding grows from " + std::to_string(rows) + " to " + std::to_string(needed) + " rows (" +
              reason + "), so embed_tokens and lm_head must be trained in full";
  d.found = c.adapter.modules_to_save.empty() ? "unset" : (has_embed ? "missing lm_head" : "missing embed_tokens");
  d.expected = "lora_modules_to_save: [embed_tokens, lm_head]";
  d.hint = "as Axolotl requires when adding tokens (tokens: / new special tokens); tied models accept the same list";
  throw ConfigError({d});
}

// Every token id of `rows` must name an embedding row; the first one that does not is an error
// naming the split, the row and the prepared data folder (never a crash inside a kernel). The first
// `header` values of each row are lengths and labels, not ids (preference_rows.h: 1, kto_strategy.h: 2).
void check_token_ids(const data::RowStore& rows, int64_t table_rows, int64_t header, const char* split,
                     const std::string& folder) {
  const int32_t* ids = rows.size() ? rows.tokens(0) : nullptr;
  const int64_t n = rows.total_tokens();
  int32_t worst = 0;
  if (header == 0) {
    for (int64_t i = 0; i < n; ++i) worst = std::max(worst, ids[i]);
  } else {
    for (size_t r = 0; r < rows.size(); ++r)
      for (int64_t j = header; j < rows.length(r); ++j) worst = std::max(worst, rows.tokens(r)[j]);
  }
  if (n == 0 || worst < table_rows) return;
  for (size_t r = 0; r < rows.size(); ++r) {
    const int32_t* row = rows.tokens(r);
    for (int64_t j = header; j < rows.length(r); ++j) {
      if (row[j] < table_rows) continue;
      Diagnostic d;
      d.where.file = folder;
      d.key = "datasets";
      d.message = std::string(split) + " row " + std::to_string(r) + " (of the prepared data) has token id " +
                  std::to_string(row[j]) + " at position " + std::to_string(j) + ", past the model's embedding";
      d.found = std::to_string(row[j]);
      d.expected = "ids 0 .. " + std::to_string(table_rows - 1);
      d.hint = "pre-tokenized input_ids must come from this model's tokenizer; delete the prepared folder if it was "
               "built with another tokenizer";
      throw ConfigError({d});
    }
  }
}

}  // namespace

TrainingSetup load_training_setup(const config::Config& c, DistributedContext& dist) {
  TrainingSetup s;
  s.tokenizer_dir = c.tokenizer.path.empty() ? model::model_folder(c.model) : c.tokenizer.path;
  s.base.model_dir = model::model_folder(c.model);
  if (!c.model.config_path.empty()) s.base.config_dir = model::model_config_folder(c.model);
  s.tokenizer = data::Tokenizer::load(s.tokenizer_dir, c.tokenizer);

  data::BuildOptions build;
  build.seed = c.training.seed;
  build.tokenizer_dir = s.tokenizer_dir;
  bool reused = false;
  std::string folder;
  if (c.data.pretrain.enabled()) {
    // Streamed, not prepared (data/pretrain_batches.h); test_datasets become the prepared eval rows.
    s.pretrain_files = data::pretrain_files(c.data.pretrain.datasets.front());
    log::info("train", "streaming {} file(s) of {} for pretraining", s.pretrain_files.size(),
              c.data.pretrain.datasets.front().path);
    if (!c.data.test_datasets.empty()) {
      config::DataConfig eval = c.data;
      eval.datasets = eval.test_datasets;
      eval.test_datasets.clear();
      eval.val_set_size = 0;
      eval.pretrain = {};
      s.data.val = std::move(data::prepare(eval, c.tokenizer, *s.tokenizer, build, &reused, &folder).train);
    }
  } else {
    s.data = data::prepare(c.data, c.tokenizer, *s.tokenizer, build, &reused, &folder);
    log::info("train", "{} prepared rows: {} train, {} validation ({})", reused ? "reusing" : "built",
              s.data.train.size(), s.data.val.size(), folder);
  }
  if (s.data.train.size() == 0 && !c.data.pretrain.enabled()) {
    Diagnostic d;
    d.key = "datasets";
    d.message = "no training rows are left after preprocessing";
    d.hint = "check sequence_len / min_sample_len and the dataset format (axolotl preprocess shows the counts)";
    throw ConfigError({d});
  }

  torch::manual_seed(c.training.seed);
  // Quantized bases are quantized projection by projection as they load (never all dense at once).
  if (c.model.reinit_weights) {  // Axolotl's from_config: the architecture without the weights
    s.model = model::random_pretrained(worker_model_config(c.model, dist), c.training.seed);
  } else {
    s.model = model::load_pretrained(worker_model_config(c.model, dist), [&](model::LlamaForCausalLMImpl& m) {
      return adapters::quantize_while_loading(m, c.quantization);
    });
  }
  // Tokens added to the tokenizer (tokens:, special_tokens) get rows, as Axolotl's resize does
  // (resize_token_embeddings_to_32x: the tokenizer size rounded up to a multiple of 32).
  const int64_t rows = model::embedding_rows(*s.model);
  const int64_t needed = model::rows_needed(s.tokenizer->vocab_size(), c.model.resize_token_embeddings_to_32x);
  bool store_tables = false;
  if (needed > rows) {
    if (c.adapter.type != config::AdapterType::kNone && c.adapter.model_dir.empty()) {
      store_tables = check_grown_embeddings(c, s.tokenizer_dir, rows, needed);
    }
    model::resize_token_embeddings(*s.model, needed, c.training.seed);
  }
  // With a reference loss, the adapter-off pass needs the saved modules' base weights (PEFT keeps the
  // original module): copied before setup_adapters can load an adapter's trained tables into them.
  if (c.adapter.type != config::AdapterType::kNone && needs_reference(c.preference.method)) {
    s.saved_bases = adapters::SavedModuleBases::capture(*s.model, c.adapter.modules_to_save);
  }
  s.qat = adapters::prepare_for_qat(*s.model, c.qat);  // before LoRA, as Axolotl's post-load setup
  s.adapter = adapters::setup_adapters(*s.model, c.adapter, c.quantization, c.model.name, &s.report);
  s.adapter.save_embedding_layers = store_tables;
  apply_unfrozen_parameters(*s.model, c.training.unfrozen_parameters, c.adapter.type != config::AdapterType::kNone);
  const int64_t table_rows = model::embedding_rows(*s.model);
  const bool pairs = !c.preference.method.empty() || c.preference.reward_model;  // pair rows: a 1-token header
  const int64_t header = !pairs ? 0 : c.preference.method == "kto" ? 2 : 1;
  check_token_ids(s.data.train, table_rows, header, "train", folder);
  check_token_ids(s.data.val, table_rows, header, "validation", folder);
  if (dist.distributed()) {
    if (s.model->device() != dist.device()) s.model->to(dist.device());
    broadcast_parameters(dist, s.model->parameters());  // every rank starts from rank 0's weights
    torch::manual_seed(c.training.seed + static_cast<uint64_t>(dist.rank()));  // dropout per rank
  }
  for (const auto& item : s.model->named_parameters())
    if (item.value().requires_grad()) s.trainable.emplace_back(item.key(), item.value());
  if (s.trainable.empty()) throw Error("the model has no trainable parameters (adapter settings?)");
  int64_t n = 0, total = 0;
  for (const auto& [name, p] : s.trainable) n += p.numel();
  for (const auto& p : s.model->parameters()) total += p.numel();
  log::info("train", "model {} ({}, {}): {} trainable parameters of {} ({})", c.model.name,
            model::dtype_name(s.model->dtype()), s.model->device().str(), n, total,
            s.adapter.r > 0 ? "LoRA r=" + std::to_string(s.adapter.r) : std::string("full fine-tuning"));
  s.model->train();
  return s;
}

}  // namespace axolotl::train
