// The training loop's class, shared by its three source files: trainer.cpp (set-up, steps, logs,
// final outputs), trainer_checkpoints.cpp (save, resume), trainer_eval.cpp (evaluation). Private to train/.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "axolotl/config/dump.h"
#include "axolotl/data/pretrain_batches.h"
#include "axolotl/data/tokenizer_save.h"
#include "axolotl/io/atomic_file.h"
#include "axolotl/io/folder_lock.h"
#include "axolotl/train/causal_lm_loss.h"
#include "axolotl/train/checkpoint.h"
#include "axolotl/train/distributed_context.h"
#include "axolotl/train/distributed_grads.h"
#include "axolotl/train/lisa_layers.h"
#include "axolotl/train/loss_curve.h"
#include "axolotl/train/loss_watchdog.h"
#include "axolotl/train/lr_scheduler.h"
#include "axolotl/train/metric_table.h"
#include "axolotl/train/metrics_writer.h"
#include "axolotl/train/model_card.h"
#include "axolotl/train/objective.h"
#include "axolotl/train/objective_factory.h"
#include "axolotl/train/progress.h"
#include "axolotl/train/relora.h"
#include "axolotl/train/rng_state.h"
#include "axolotl/train/schedule.h"
#include "axolotl/train/scheduler_state.h"
#include "axolotl/train/stop_signal.h"
#include "axolotl/train/tensorboard_summary.h"
#include "axolotl/train/tensorboard_writer.h"
#include "axolotl/train/torch_pickle.h"
#include "axolotl/train/trainer_rng.h"
#include "axolotl/train/trainer_shard.h"
#include "axolotl/train/trainer_state.h"
#include "axolotl/train/training_setup.h"
#include "axolotl/train/weights_writer.h"
#include "axolotl/util/error.h"
#include "axolotl/util/interrupt.h"
#include "axolotl/util/log.h"

namespace axolotl::train::detail {
namespace fs = std::filesystem;

using Clock = std::chrono::steady_clock;
constexpr const char* kProgressFile = "training_progress.json";

inline double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

inline void write_text(const fs::path& path, const std::string& text) { io::write_file_atomic(path.string(), text); }

inline nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (!in || j.is_discarded()) {
    Diagnostic d;
    d.where.file = path.string();
    d.message = "cannot read JSON file";
    throw IoError(d);
  }
  return j;
}

// Progress kept across a resume so that steps N+1.. repeat the uninterrupted run exactly.
struct Counters {
  int64_t tokens_seen = 0;      // non-padding input tokens
  double log_loss_sum = 0.0;    // since the last log line
  int64_t log_steps = 0;
  int64_t log_tokens = 0;
  nlohmann::json log_metrics = nlohmann::json::object();  // objective metrics: name -> [Σ value, count]
};

class Loop {
 public:
  Loop(const config::Config& c, TrainingSetup& s, DistributedContext& dist);

  int run();

  // `axolotl evaluate`: one evaluation of the loaded model, nothing trained or written.
  int evaluate_only();

 private:
  // A stop signal: in a single process this one's; with several ranks, one that ANY rank saw at the
  // last step's all-reduce, so every rank leaves at the same step.
  bool stop_requested() const { return dist_.distributed() ? stop_all_signal_ != 0 : stop_.requested(); }
  int stop_signal() const;

  // After the watchdog fired: a checkpoint of the current weights (unless this step's is saved or no
  // step ran) and the usual final outputs, then exit 0 for a loss over the threshold (as Python's
  // run ends normally) and an Error naming the checkpoint for a non-finite loss.
  int stop_diverged(double seconds);

  std::string resume_dir();

  void restore(const std::string& dir);

  // One optimizer step over gradient_accumulation_steps micro-batches (this rank's rows of each
  // global micro-batch); returns the step loss over every rank.
  double train_step();

  void log_train(int64_t step, double seconds);

  void add_metric(const std::string& name, double value);

  // Loss and metrics over the whole validation split, then HF's best-metric bookkeeping
  // (metric_for_best_model, greater_is_better) and EarlyStoppingCallback's patience.
  struct EvalOutcome {
    double loss = 0.0;
    bool new_best = false;  // metric_for_best_model improved (save_strategy: best saves then)
    bool stop = false;      // early stopping says stop
  };
  EvalOutcome evaluate(int64_t step);

  // load_best_model_at_end: every rank reads the weights of state_.best_model_checkpoint (HF's
  // _load_best_model), so the final outputs are the best checkpoint's.
  void load_best_model();

  // Rank 0 writes the checkpoint (with every rank's generator state); the others wait for it.
  void save(int64_t step);

  void finish(double seconds);

  // trainer_outputs.cpp: runs/<Mon>DD_HH-MM-SS_<host>/ with the resolved config (text) and the
  // hyper-parameters (hparams plugin); README.md, the model card (PEFT's short one in adapter checkpoints).
  std::vector<HParam> hparams() const;
  void open_tensorboard();
  ModelCard model_card() const;
  void write_model_card() const;

  const config::Config& c_;
  TrainingSetup& s_;
  DistributedContext& dist_;
  const bool main_;  // rank 0: writes files and shows progress
  fs::path out_;
  ObjectiveBundle bundle_;
  Objective* objective_;
  std::vector<std::pair<std::string, double>> step_metrics_;  // the last step's progress metrics
  Optimizer optimizer_;
  LossWatchdog watchdog_;
  Progress progress_;
  StopSignal stop_;
  std::unique_ptr<data::BatchLoader> train_loader_, eval_loader_;  // train_loader_: null when streaming
  std::unique_ptr<data::PretrainBatches> stream_;                   // pretraining_dataset (else null)
  std::unique_ptr<LisaLayers> lisa_;                                // lisa_n_layers (else null)
  std::unique_ptr<ReLora> relora_;                                  // relora: true (else null)
  data::TokenizerSave tokenizer_save_;  // the tokenizer files of every output folder (added tokens)
  Schedule schedule_;
  std::unique_ptr<LrScheduler> scheduler_;
  TrainerState state_;
  Counters counters_;
  std::unique_ptr<MetricsWriter> metrics_;
  std::unique_ptr<TensorBoardWriter> tensorboard_;
  Series train_curve_, eval_curve_;
  double last_lr_ = 0.0, last_grad_norm_ = 0.0;
  double flops_params_ = -1.0;  // PreTrainedModel.num_parameters(exclude_embeddings=True); set at the first step
  std::vector<torch::Tensor> trainable_tensors_;  // s_.trainable's tensors, for the gradient all-reduce
  int stop_all_signal_ = 0;                       // the signal some rank saw (distributed runs)
  int64_t last_saved_step_ = 0;
  std::string best_metric_key_;  // "eval_" + metric_for_best_model (eval_loss by default)
  bool greater_is_better_ = false;
  std::string diverged_;              // the watchdog's reason to stop; empty while training goes on
  bool diverged_non_finite_ = false;  // NaN/Inf: that step was not applied
};

}  // namespace axolotl::train::detail
