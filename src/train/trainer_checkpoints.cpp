// The training loop's checkpoints (trainer_loop.h): which one to resume, restoring it, saving one,
// and the watchdog's stop, which saves before it ends the run.
#include "trainer_loop.h"

namespace axolotl::train::detail {

int Loop::stop_diverged(double seconds) {
  const int64_t step = state_.global_step;
  state_.should_training_stop = true;
  if (step > 0 && last_saved_step_ != step) save(step);
  log::warn("train", "loss watchdog: {}; stopped at step {} of {}{}", diverged_, step, schedule_.total_steps,
            diverged_non_finite_ ? " without applying that step" : "");
  if (main_ && step > 0) finish(seconds);
  dist_.barrier("final files");
  if (!diverged_non_finite_) return 0;
  Diagnostic d;
  d.message = "training diverged: " + diverged_ + "; the weights of that step were not updated";
  d.hint = step > 0 ? "saved the last finite weights in " + (out_ / ("checkpoint-" + std::to_string(step))).string() +
                          " and " + out_.string() + "; lower learning_rate or check the data"
                    : "no optimizer step had completed, so nothing was saved; lower learning_rate or check the data";
  throw Error(d);
}

std::string Loop::resume_dir() {
  const auto& ck = c_.checkpoint;
  if (!ck.resume_from_checkpoint.empty()) {
    const std::string problem = verify_checkpoint(ck.resume_from_checkpoint);
    if (!problem.empty()) {
      Diagnostic d;
      d.key = "resume_from_checkpoint";
      d.where.file = ck.resume_from_checkpoint;
      d.message = "cannot resume from this checkpoint: " + problem;
      if (auto good = latest_good_checkpoint(out_.string())) d.hint = "the newest complete checkpoint is " + good->path;
      throw Error(d);
    }
    return ck.resume_from_checkpoint;
  }
  if (ck.auto_resume_from_checkpoints) {
    if (auto good = latest_good_checkpoint(out_.string())) return good->path;
  }
  return {};
}

void Loop::restore(const std::string& dir) {
  const fs::path d = dir;
  read_weights(dir, *s_.model, s_.adapter);
  optimizer_.load((d / "optimizer.pt").string());
  state_ = read_trainer_state((d / "trainer_state.json").string());
  const nlohmann::json p = read_json(d / kProgressFile);
  if (p.value("total_steps", int64_t{0}) != schedule_.total_steps)
    log::warn("train", "the checkpoint was written for {} total steps, this run has {}: the LR schedule changes",
              p.value("total_steps", int64_t{0}), schedule_.total_steps);
  if (stream_ && !p.contains("stream"))
    throw Error(Diagnostic{{dir}, "pretraining_dataset", "this checkpoint was not written by a streaming run", {}, {}, {}});
  if (stream_) stream_->restore(p["stream"]);
  else train_loader_->seek({p.at("cursor").at("epoch").get<int64_t>(), p.at("cursor").at("step").get<int64_t>()});
  counters_.tokens_seen = p.value("tokens_seen", int64_t{0});
  counters_.log_loss_sum = p.value("log_loss_sum", 0.0);
  counters_.log_steps = p.value("log_steps", int64_t{0});
  counters_.log_tokens = p.value("log_tokens", int64_t{0});
  if (p.contains("log_metrics")) counters_.log_metrics = p["log_metrics"];
  for (const auto& e : state_.log_history) {
    if (e.contains("loss") && e["loss"].is_number()) train_curve_.push_back({e["step"], e["loss"]});
    if (e.contains("eval_loss") && e["eval_loss"].is_number()) eval_curve_.push_back({e["step"], e["eval_loss"]});
  }
  if (relora_) relora_->restore(dir, state_.global_step);  // the merged base of the restarts so far
  const std::string rng = rank_rng_file(dir, dist_.rank(), dist_.world_size());
  if (!rng.empty()) {
    load_rng_state(rng);  // last: nothing above may draw from it
  } else {  // a checkpoint of a single-process run, or of fewer ranks
    log::warn("train", "{} has no generator state for rank {}: seeding with seed + rank + step", dir, dist_.rank());
    torch::manual_seed(c_.training.seed + static_cast<uint64_t>(dist_.rank()) +
                       1000003ull * static_cast<uint64_t>(state_.global_step));
  }
  last_saved_step_ = state_.global_step;
  log::info("train", "resumed from {} at step {} (epoch {:.2f})", dir, state_.global_step,
            schedule_.epoch_at(state_.global_step));
}

void Loop::save(int64_t step) {
  const fs::path final_dir = out_ / ("checkpoint-" + std::to_string(step));
  if (state_.best_global_step && *state_.best_global_step == step) state_.best_model_checkpoint = final_dir.string();
  last_saved_step_ = step;
  const std::vector<torch::Tensor> rng_states = gather_rng_states(dist_);
  if (!main_) {
    dist_.barrier("checkpoint");
    return;
  }
  const data::Cursor cursor = train_loader_ ? train_loader_->cursor() : data::Cursor{};
  try {
    save_checkpoint(out_.string(), step, [&](const std::string& dir) {
      const fs::path d = dir;
      write_weights(dir, *s_.model, s_.adapter, s_.base);
      if (relora_) relora_->save(dir);  // checkpoint-N/relora: the base the adapter applies to
      if (s_.adapter.r > 0) write_text(d / "README.md", peft_checkpoint_card(model_card()));  // PEFT's save_pretrained
      data::write_tokenizer_files(tokenizer_save_, dir);
      write_text(d / "axolotl_config.yml", config::to_yaml(c_, "resolved config of this run"));
      if (c_.checkpoint.save_only_model) return;  // weights only, as HF's save_only_model: not resumable
      // Trainer's files: the rate is the one its scheduler leaves after `step` steps.
      optimizer_.save((d / "optimizer.pt").string(), scheduler_->lr(step));
      write_torch_pickle((d / "scheduler.pt").string(),
                         lambda_lr_state_dict(step, c_.training.learning_rate, scheduler_->lr(step),
                                              optimizer_.group_count()));
      write_rng_states(dir, rng_states, c_.training.seed);
      write_trainer_state((d / "trainer_state.json").string(), state_);
      nlohmann::json progress{{"format", "axolotl-training-progress"}, {"version", 1}, {"global_step", step},
                              {"total_steps", schedule_.total_steps},
                              {"cursor", {{"epoch", cursor.epoch}, {"step", cursor.step}}},
                              {"tokens_seen", counters_.tokens_seen}, {"log_loss_sum", counters_.log_loss_sum},
                              {"log_steps", counters_.log_steps}, {"log_tokens", counters_.log_tokens},
                              {"log_metrics", counters_.log_metrics}};
      if (stream_) progress["stream"] = stream_->state();  // files, sequence_len, skip, position
      write_text(d / kProgressFile, progress.dump(2) + "\n");
    });
  } catch (const IoError& e) {
    Diagnostic d = e.diagnostic();
    d.message = "saving checkpoint-" + std::to_string(step) + " failed: " + d.message;
    const auto good = latest_good_checkpoint(out_.string());
    d.hint = good ? "the last good checkpoint is " + good->path + " (resume_from_checkpoint: " + good->path + ")"
                  : "no earlier checkpoint of this run is complete";
    throw IoError(d);
  }
  rotate_checkpoints(out_.string(), c_.checkpoint.save_total_limit, state_.best_model_checkpoint.value_or(""));
  progress_.message(fmt::format("saved {}", final_dir.string()));
  dist_.barrier("checkpoint");
}

}  // namespace axolotl::train::detail
