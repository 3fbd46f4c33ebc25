// The training loop (see trainer.h): set-up, optimizer steps, logging and the final outputs.
#include "axolotl/train/trainer.h"

#include <unistd.h>

#include "axolotl/adapters/quantized_linear.h"
#include "axolotl/train/run_summary.h"
#include "axolotl/util/terminal.h"
#include "trainer_loop.h"

namespace axolotl::train::detail {
namespace {

// The pad id of the batches: the tokenizer's (0 when it has none). A reward model's is TRL's pad_token
// or else eos_token, since its score is read at the last token that is not the pad.
int32_t batch_pad_id(const config::Config& c, const data::Tokenizer& tok) {
  if (!c.preference.reward_model) return std::max(0, tok.pad_id());
  if (tok.pad_id() >= 0) return tok.pad_id();
  if (tok.eos_id() >= 0) return tok.eos_id();
  Diagnostic d;
  d.key = "special_tokens";
  d.message = "a reward model needs a pad or EOS token: its score is read at the last token before the padding";
  d.found = "a tokenizer with neither";
  d.expected = "special_tokens: {pad_token: ...}";
  throw Error(d);
}

std::optional<EntropyWeighting> entropy_weighting(const config::TrainingConfig& t) {
  if (!t.use_eaft) return std::nullopt;
  return EntropyWeighting{t.eaft_alpha, t.eaft_k};
}

}  // namespace

Loop::Loop(const config::Config& c, TrainingSetup& s, DistributedContext& dist)
    : c_(c), s_(s), dist_(dist), main_(dist.is_main_process()), out_(c.output.output_dir),
      bundle_(make_objective(c.preference, {c.adapter.type != config::AdapterType::kNone,
                                            c.training.gradient_checkpointing, dist.distributed(),
                                            s.saved_bases.empty() ? nullptr : &s.saved_bases, &dist,
                                            batch_pad_id(c, *s.tokenizer), entropy_weighting(c.training)},
                                           *s.model)),
      objective_(bundle_.objective.get()),
      optimizer_(c.training, s.trainable),
      watchdog_(c.training.loss_watchdog_threshold, c.training.loss_watchdog_patience),
      progress_(main_ && is_terminal(STDERR_FILENO)) {
  if (main_) tokenizer_save_ = data::plan_tokenizer_save(s.tokenizer_dir, c.tokenizer, s.tokenizer.get());
  data::BatchOptions bo;
  bo.sequence_len = c.data.sequence_len;
  // Global micro-batches of micro × world rows (trainer_shard.h): the same bins and steps as one
  // process with micro × world, so the schedule counts steps of the effective batch.
  bo.micro_batch_size = c.training.micro_batch_size * dist.world_size();
  bo.gradient_accumulation_steps = c.training.gradient_accumulation_steps;
  bo.sample_packing = c.data.sample_packing;
  bo.pad_to_sequence_len = c.data.pad_to_sequence_len.value_or(c.data.sample_packing);
  bo.pad_id = batch_pad_id(c, *s.tokenizer);
  if (c.preference.reward_model) s.model->set_pad_token_id(bo.pad_id);  // TRL: model.config.pad_token_id
  bo.seed = c.training.seed;
  bo.shuffle = !c.data.curriculum_sampling;  // curriculum_sampling: dataset order
  bo.sequential_packing = c.data.sample_packing_sequentially;
  bo.preference_pairs = !c.preference.method.empty() || c.preference.reward_model;  // [chosen; rejected], never packed
  bo.kto_rows = c.preference.method == "kto";           // examples + KL rows (TRL: sequential sampler)
  bo.token_labels = c.preference.process_reward_model;   // class ids at their own positions
  bo.kl_group = c.training.micro_batch_size;
  if (bo.kto_rows) bo.shuffle = false;
  if (c.data.pretrain.enabled()) {  // streaming pretraining: every rank reads the global rows (trainer_shard.h)
    stream_ = data::PretrainBatches::from_config(c.data, s.pretrain_files, *s.tokenizer, bo.micro_batch_size,
                                                 bo.gradient_accumulation_steps);
  } else {
    train_loader_ = std::make_unique<data::BatchLoader>(s.data.train, bo);
  }
  if (s.data.val.size() > 0) {
    data::BatchOptions eo = bo;
    eo.gradient_accumulation_steps = 1;
    if (c.eval.eval_batch_size > 0) eo.micro_batch_size = c.eval.eval_batch_size * dist.world_size();
    eo.shuffle = false;
    eo.sample_packing = c.data.eval_sample_packing.value_or(c.data.sample_packing);
    eval_loader_ = std::make_unique<data::BatchLoader>(s.data.val, eo);
  }
  std::vector<int64_t> per_epoch;
  int64_t cum = 0;
  const int epochs = std::max(1, c.training.num_epochs);
  if (stream_) per_epoch.push_back(c.training.max_steps);  // a stream has no epochs: one of max_steps
  for (int64_t e = 0; !stream_ && (c.training.max_steps > 0 ? cum < c.training.max_steps : e < epochs); ++e) {
    per_epoch.push_back(train_loader_->steps_in_epoch(e));
    cum += per_epoch.back();
    if (per_epoch.back() == 0) break;
  }
  schedule_ = make_schedule(c.training, c.eval, c.checkpoint, c.logging, per_epoch, eval_loader_ != nullptr);
  scheduler_ = std::make_unique<LrScheduler>(c.training.lr_scheduler, c.training.learning_rate,
                                             schedule_.warmup_steps, schedule_.total_steps,
                                             c.training.cosine_min_lr_ratio);
  scheduler_->set_constant_lr_ratio(c.training.cosine_constant_lr_ratio);
  if (c.training.jagged_restart_steps > 0) {  // Axolotl's `or 10`, `or 1`, `cosine_min_lr_ratio or 0.001`
    const auto& t = c.training;
    scheduler_->set_jagged_restarts(t.jagged_restart_steps,
                                    t.jagged_restart_warmup_steps > 0 ? t.jagged_restart_warmup_steps : 10,
                                    t.jagged_restart_anneal_steps > 0 ? t.jagged_restart_anneal_steps : 1,
                                    t.cosine_min_lr_ratio > 0 ? t.cosine_min_lr_ratio : 0.001);
  }
  state_.max_steps = schedule_.total_steps;
  state_.logging_steps = schedule_.log_every;
  state_.eval_steps = schedule_.eval_every;
  state_.save_steps = schedule_.save_every;
  state_.train_batch_size = c.training.micro_batch_size;
  state_.num_train_epochs = static_cast<int64_t>(schedule_.epoch_end_steps.size());
  state_.early_stopping_patience = c.eval.early_stopping_patience;
  // HF TrainingArguments: the eval_ prefix is added; greater_is_better defaults to "not a loss".
  const std::string metric = c.eval.metric_for_best_model.empty() ? "loss" : c.eval.metric_for_best_model;
  best_metric_key_ = metric.rfind("eval_", 0) == 0 ? metric : "eval_" + metric;
  const bool is_loss = metric.size() >= 4 && metric.compare(metric.size() - 4, 4, "loss") == 0;
  greater_is_better_ = c.eval.greater_is_better.value_or(!is_loss);
  std::vector<std::string> known = {"eval_loss", "eval_perplexity", "eval_runtime", "eval_tokens"};
  for (const auto& name : objective_->metric_names()) known.push_back("eval_" + name);
  if (std::find(known.begin(), known.end(), best_metric_key_) == known.end()) {
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    throw ConfigError({Diagnostic{{c.source_file, 0, 0}, "metric_for_best_model", "not an eval metric of this run",
                                  c.eval.metric_for_best_model, "one of " + list, "the eval_ prefix is optional"}});
  }
  for (const auto& item : s.trainable) trainable_tensors_.push_back(item.second);
  // LISA: every layer is in the optimizer; the layers not chosen have no gradient (AdamW skips them).
  if (c.training.lisa_n_layers > 0 && c.training.lisa_step_interval > 0) {
    lisa_ = std::make_unique<LisaLayers>(*s.model, c.training.lisa_n_layers, c.training.lisa_step_interval,
                                         c.training.seed);
  }
  if (c.training.relora.enabled) {
    ReLoraSettings r{c.training.jagged_restart_steps, c.training.relora.prune_method,
                     relora_prune_ratio(c.training.relora),
                     c.quantization, s.base.model_dir, s.base.config_dir, (out_ / "relora").string(),
                     c.model.config_overrides};
    relora_ = std::make_unique<ReLora>(std::move(r), *s.model, s.adapter, optimizer_, main_,
                                       [this](const std::string& what) { dist_.barrier(what); });
  }
}

int Loop::run() {
  if (main_) fs::create_directories(out_);
  // On the initial weights, before a restore (a stream has no loader: rl with pretraining_dataset is refused).
  if (train_loader_) precompute_reference(*objective_, *train_loader_, *s_.model);
  if (eval_loader_) precompute_reference(*objective_, *eval_loader_, *s_.model);
  const std::string resume = resume_dir();
  if (!resume.empty()) restore(resume);
  dist_.barrier("start");  // every rank has read the checkpoint before rank 0 writes anything
  if (main_) {
    metrics_ = std::make_unique<MetricsWriter>((out_ / "metrics.jsonl").string(), resume.empty() ? -1 : state_.global_step);
    if (c_.logging.use_tensorboard) open_tensorboard();
  }
  log::info("train", "{} optimizer steps ({} epochs, warmup {}, micro batch {} x accumulation {} x {} rank(s)), "
            "output {}", schedule_.total_steps, schedule_.epoch_end_steps.size(), schedule_.warmup_steps,
            c_.training.micro_batch_size, c_.training.gradient_accumulation_steps, dist_.world_size(), out_.string());
  const auto start = Clock::now();
  auto last_log = Clock::now();
  int64_t steps_this_session = 0;
  while (state_.global_step < schedule_.total_steps) {
    if (stop_requested()) break;
    if (relora_) relora_->at_step(state_.global_step);  // Axolotl's ReLoRACallback.on_step_begin
    if (lisa_) lisa_->at_step(state_.global_step);  // Axolotl's LISACallback.on_step_begin
    s_.qat.at_step(state_.global_step);  // fake_quant_after_n_steps (Axolotl's QATCallback.on_step_begin)
    const double loss = train_step();
    if (diverged_non_finite_) break;
    ++steps_this_session;
    const int64_t step = state_.global_step;
    const bool logging_step = schedule_.logs_at(step) || step == schedule_.total_steps;
    progress_.update({step, schedule_.total_steps, schedule_.epoch_at(step), loss, last_lr_, last_grad_norm_,
                      counters_.log_tokens / std::max(1e-9, seconds_since(last_log)),
                      seconds_since(start) / static_cast<double>(steps_this_session), step_metrics_},
                     logging_step);
    if (logging_step) {
      log_train(step, seconds_since(last_log));
      last_log = Clock::now();
    }
    EvalOutcome eval;
    if (schedule_.evaluates_at(step)) eval = evaluate(step);
    const bool stop_early = eval.stop;
    const bool last = step == schedule_.total_steps || stop_early;
    const bool best_save = c_.checkpoint.save_strategy == config::SaveStrategy::kBest && eval.new_best;
    if (schedule_.saves_at(step) || best_save || (stop_requested() && !last)) save(step);
    if (stop_early) {
      progress_.message(fmt::format("early stopping: {} did not improve for {} evaluations", best_metric_key_,
                                    c_.eval.early_stopping_patience));
      state_.should_training_stop = true;
      break;
    }
    if (!diverged_.empty()) break;
  }
  progress_.finish();
  if (!diverged_.empty()) return stop_diverged(seconds_since(start));
  if (stop_requested() && state_.global_step < schedule_.total_steps) {
    if (state_.global_step > 0 && last_saved_step_ != state_.global_step) save(state_.global_step);
    if (main_) write_trainer_state((out_ / "trainer_state.json").string(), state_);
    log::warn("train", "stopped by signal {} at step {}; resume with auto_resume_from_checkpoints: true or "
              "resume_from_checkpoint: {}", stop_signal(), state_.global_step,
              (out_ / ("checkpoint-" + std::to_string(state_.global_step))).string());
    dist_.barrier("stop");
    return 128 + stop_signal();
  }
  if (c_.checkpoint.load_best_model_at_end) load_best_model();
  if (main_) finish(seconds_since(start));
  dist_.barrier("final files");  // no rank reports success before rank 0's outputs are in place
  return 0;
}

int Loop::stop_signal() const {
  if (stop_.requested()) return stop_.signal();
  return dist_.distributed() && stop_all_signal_ != 0 ? stop_all_signal_ : stop_.signal();
}

double Loop::train_step() {
  const data::StepBatch sb = stream_ ? stream_->next() : train_loader_->next();
  optimizer_.zero_grad();
  double loss = 0.0;
  int64_t tokens = 0, trained = 0;
  // Trainer.floating_point_ops: 6 · input_ids.numel() (padding included) · parameters without the
  // embeddings, per micro-batch; summed over ranks (store_flos), i.e. over the global micro-batches.
  if (flops_params_ < 0) {
    flops_params_ = 0.0;
    for (const auto& p : s_.model->named_parameters())
      if (p.key().find("embed_tokens") == std::string::npos) flops_params_ += static_cast<double>(p.value().numel());
    // A quantized base weight counts as its dense shape, as num_parameters counts bitsandbytes'
    // (Params4bit: numel · 2; Int8Params: numel); ours are not parameters.
    for (const auto& m : s_.model->modules(/*include_self=*/false)) {
      if (dynamic_cast<adapters::Nf4Linear*>(m.get()) == nullptr && dynamic_cast<adapters::Int8Linear*>(m.get()) == nullptr)
        continue;
      const auto& l = dynamic_cast<const model::LinearLike&>(*m);
      flops_params_ += static_cast<double>(l.in_features()) * static_cast<double>(l.out_features());
    }
  }
  for (const data::Batch& global : sb.micro)
    state_.total_flos += 6.0 * static_cast<double>(global.rows * global.seq_len) * flops_params_;
  // Σ CE / trained tokens of the whole step on all ranks: every rank's loader sees the global
  // micro-batches, so it knows the global denominator without communicating.
  const double denom = objective_->step_denominator(sb);
  MetricTable metrics(objective_->metric_names(), objective_->metric_reduces(), dist_.world_size(),
                      dist_.rank());  // summed over ranks with the step's numbers
  for (size_t mi = 0; mi < sb.micro.size(); ++mi) {
    metrics.add_batch();
    const data::Batch& global = sb.micro[mi];
    const data::Batch mine = dist_.distributed() ? objective_->share(global, dist_.rank(), c_.training.micro_batch_size)
                                                 : global;
    if (mine.rows == 0) {  // the short last micro-batch of an epoch may leave a rank nothing
      objective_->skip_share();
      continue;
    }
    const BatchTensors bt = to_tensors(mine, s_.model->device());
    MicroLoss ml = objective_->micro_loss(bt, denom);
    torch::Tensor l = ml.loss;
    l.backward();
    metrics.add(mi, ml.metrics);
    loss += l.item<double>();
    tokens += mine.tokens;
    trained += mine.trained_tokens;
  }
  if (dist_.distributed()) {
    // One small all-reduce for the step's numbers and the stop flag (distributed_context.h, step 5).
    const int signal = stop_.requested() ? stop_.signal() : 0;
    std::vector<double> numbers = {static_cast<double>(trained), loss, static_cast<double>(tokens),
                                   signal != 0 ? 1.0 : 0.0, static_cast<double>(signal)};
    numbers.insert(numbers.end(), metrics.numbers().begin(), metrics.numbers().end());
    const auto sums = dist_.all_reduce_sum(numbers);
    std::copy(sums.begin() + 5, sums.end(), metrics.numbers().begin());
    all_reduce_gradients(dist_, trainable_tensors_);  // Σ over ranks of Σ CE / global tokens
    if (static_cast<int64_t>(std::llround(sums[0])) != sb.trained_tokens)
      throw Error(fmt::format("ranks disagree on the data: {} trained tokens over all ranks, {} expected "
                              "(every rank must see the same prepared data and config)", sums[0], sb.trained_tokens));
    loss = sums[1];
    tokens = static_cast<int64_t>(std::llround(sums[2]));
    if (sums[3] > 0) stop_all_signal_ = static_cast<int>(std::lround(sums[4] / sums[3]));
  }
  for (const auto& [name, value] : metrics.values()) add_metric(name, value);  // one per micro-batch, as TRL
  step_metrics_ = metrics.means(objective_->progress_metrics());
  const int64_t step = state_.global_step;
  last_grad_norm_ = clip_grad_norm(s_.trainable, c_.training.max_grad_norm);
  // The watchdog stops the run gracefully (run() saves and writes the outputs): a loss over the
  // threshold after this step's update, as Axolotl's LossWatchDogCallback does at on_step_end; a
  // non-finite loss or gradient norm before it, so that the weights saved are still finite.
  diverged_ = watchdog_.check(step + 1, loss, last_grad_norm_);
  diverged_non_finite_ = !diverged_.empty() && !(std::isfinite(loss) && std::isfinite(last_grad_norm_));
  if (diverged_non_finite_) {
    optimizer_.zero_grad();
    return loss;
  }
  last_lr_ = scheduler_->lr(step);
  optimizer_.set_lr(last_lr_);
  optimizer_.step();
  state_.global_step = step + 1;
  state_.epoch = schedule_.epoch_at(state_.global_step);
  counters_.tokens_seen += tokens;
  counters_.log_tokens += tokens;
  counters_.log_loss_sum += loss;
  counters_.log_steps += 1;
  state_.num_input_tokens_seen = counters_.tokens_seen;
  return loss;
}

void Loop::log_train(int64_t step, double seconds) {
  if (counters_.log_steps == 0) return;
  const double loss = counters_.log_loss_sum / static_cast<double>(counters_.log_steps);
  const double tps = static_cast<double>(counters_.log_tokens) / std::max(1e-9, seconds);
  const double epoch = schedule_.epoch_at(step);
  nlohmann::json record = {{"step", step}, {"epoch", epoch}, {"loss", loss}, {"learning_rate", last_lr_},
                           {"grad_norm", last_grad_norm_}, {"tokens", counters_.tokens_seen}, {"tokens_per_second", tps}};
  for (const auto& [name, acc] : counters_.log_metrics.items()) {
    const double mean = acc[0].get<double>() / std::max(1.0, acc[1].get<double>());
    record[name] = mean;
    if (tensorboard_) tensorboard_->add_scalar("train/" + name, mean, step);
  }
  if (metrics_) metrics_->write(record);
  if (tensorboard_) {
    tensorboard_->add_scalar("train/loss", loss, step);
    tensorboard_->add_scalar("train/learning_rate", last_lr_, step);
    tensorboard_->add_scalar("train/grad_norm", last_grad_norm_, step);
    tensorboard_->add_scalar("train/epoch", epoch, step);
    tensorboard_->add_scalar("train/tokens_per_second", tps, step);
  }
  state_.log_history.push_back({{"loss", std::round(loss * 1e4) / 1e4}, {"grad_norm", last_grad_norm_},
                                {"learning_rate", last_lr_}, {"epoch", epoch}, {"step", step}});
  train_curve_.push_back({step, loss});
  counters_.log_loss_sum = 0.0;
  counters_.log_steps = 0;
  counters_.log_tokens = 0;
  counters_.log_metrics = nlohmann::json::object();
}

void Loop::add_metric(const std::string& name, double value) {
  auto& acc = counters_.log_metrics[name];
  if (acc.is_null()) acc = nlohmann::json::array({0.0, 0.0});
  acc[0] = acc[0].get<double>() + value;
  acc[1] = acc[1].get<double>() + 1.0;
}

void Loop::finish(double seconds) {
  double train_loss = 0.0;
  for (const auto& p : train_curve_) train_loss += p.second;
  if (!train_curve_.empty()) train_loss /= static_cast<double>(train_curve_.size());
  const int64_t step = state_.global_step;
  // Trainer's speed_metrics over this run's runtime, num_train_samples as set_initial_training_values
  // counts it: max_steps · total_train_batch_size when max_steps is set (or the data is streamed),
  // else len(train_dataset) · num_train_epochs.
  const double samples =
      c_.training.max_steps > 0 || stream_
          ? static_cast<double>(schedule_.total_steps) * c_.training.micro_batch_size *
                c_.training.gradient_accumulation_steps * dist_.world_size()
          : static_cast<double>(s_.data.train.size()) * c_.training.num_epochs;
  // Rounded as speed_metrics rounds them (runtime to 4 places, rates to 3; rates from the unrounded time).
  auto rounded = [](double v, double scale) { return std::round(v * scale) / scale; };
  const double runtime = std::max(1e-9, seconds);
  state_.log_history.push_back({{"train_runtime", rounded(seconds, 1e4)},
                                {"train_samples_per_second", rounded(samples / runtime, 1e3)},
                                {"train_steps_per_second", rounded(static_cast<double>(schedule_.total_steps) / runtime, 1e3)},
                                {"total_flos", state_.total_flos}, {"train_loss", train_loss},
                                {"epoch", schedule_.epoch_at(step)}, {"step", step}});
  if (relora_) {
    relora_->write_merged(out_.string());  // ReLoRA's output is the merged model, as Axolotl's
  } else {
    write_weights(out_.string(), *s_.model, s_.adapter, s_.base);
  }
  data::write_tokenizer_files(tokenizer_save_, out_.string());
  write_text(out_ / "axolotl_config.yml", config::to_yaml(c_, "resolved config of this run"));
  write_trainer_state((out_ / "trainer_state.json").string(), state_);
  write_model_card();
  if (tensorboard_) tensorboard_->end_session(SessionStatus::kSuccess);
  write_loss_curve((out_ / "loss_curve.svg").string(), train_curve_, eval_curve_,
                   "loss: " + fs::path(c_.model.name).filename().string());
  RunSummary summary{step, schedule_.epoch_at(step), seconds, counters_.tokens_seen, train_loss, train_curve_,
                     eval_curve_, out_.string(), s_.adapter.r > 0 && !relora_, {}};  // ReLoRA writes the merged model
  for (const auto& c : list_checkpoints(out_.string())) summary.checkpoints.push_back(fs::path(c.path).filename().string());
  if (s_.model->is_classifier()) {
    summary.classifier_class = s_.model->config().token_classifier ? "AutoModelForTokenClassification"
                                                                   : "AutoModelForSequenceClassification";
  }
  for (const auto& line : summary_lines(summary)) log::info("train", "{}", line);
}

}  // namespace axolotl::train::detail

namespace axolotl::train {
using detail::Loop;

int run_training(const config::Config& c) {
  // First, before loading data: a lost peer fails here, naming it (distributed_context.h, step 1).
  const auto dist = DistributedContext::from_env(c.distributed);
  if (dist->distributed()) {
    log::info("train", "rank {} of {} ({} backend, {})", dist->rank(), dist->world_size(), backend_name(dist->backend()),
              dist->device().str());
    if (!dist->is_main_process() && log::level() < log::Level::kWarn) log::set_level(log::Level::kWarn);
  }
  // One run per output folder, taken before any data is read (rank 0 writes every file).
  std::unique_ptr<io::FolderLock> lock;
  if (dist->is_main_process()) {
    lock = std::make_unique<io::FolderLock>(c.output.output_dir, "axolotl train");
    remove_stale_checkpoint_temps(c.output.output_dir);
  }
  TrainingSetup setup = load_training_setup(c, *dist);
  throw_if_interrupted("train start-up");  // a signal while the model loaded: stop before any step
  Loop loop(c, setup, *dist);
  return loop.run();
}

int run_evaluation(const config::Config& c) {
  if (c.data.val_set_size <= 0 && c.data.test_datasets.empty()) {
    throw ConfigError({Diagnostic{{c.source_file, 0, 0}, "val_set_size", "nothing to evaluate", "val_set_size: 0",
                                  "val_set_size > 0 or test_datasets", "evaluate reads the eval split or test_datasets"}});
  }
  const auto dist = DistributedContext::from_env(c.distributed);
  TrainingSetup setup = load_training_setup(c, *dist);
  Loop loop(c, setup, *dist);
  return loop.evaluate_only();
}

}  // namespace axolotl::train
