// Muon (`optimizer: muon`) as Axolotl runs it: axolotl-contribs-mit's MuonOptimizerFactory over
// microsoft/dion's hybrid Muon (dion/muon.py and scalar_opts.py of 2025-09, commit 0c20549, the
// Newton-Schulz era before polar express). Parameter groups, in the factory's order: AdamW on vectors
// with and without weight decay, AdamW on the embeddings and heads (names holding embed_tokens or
// lm_head, or modules_to_save copies; no decay), Muon on every other matrix with and without decay.
// Muon step per matrix W (out, in) with gradient G: M = mu*M + G; U = mu*M + G (Nesterov); U in
// bfloat16 through 5 Newton-Schulz iterations with dion's per-iteration constants after U/(|U|_F + eps);
// W *= 1 - lr*wd; W -= lr*sqrt(out/in) * U. AdamW: dion's update with its group step for the bias
// corrections. Scalars are float32 0-dim tensors, as dion wraps them, so tests/reference/muon_reference.py
// (the same steps in Python torch) gives the same bits on this LibTorch. Data parallel: every rank holds
// the all-reduced gradient and computes the same update (dion splits the Newton-Schulz work over ranks;
// the result is the same).
#pragma once

#include <torch/torch.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace axolotl::train {

struct MuonSettings {
  double lr = 0.01;
  double mu = 0.95;
  double beta1 = 0.9;  // the AdamW groups' betas (Axolotl: adam_beta1/2 when both are set, else 0.9/0.95)
  double beta2 = 0.95;
  double epsilon = 1e-8;  // AdamW's and Newton-Schulz's (adam_epsilon)
  double weight_decay = 0.0;
  bool nesterov = true;  // the factory's default
};

// dion's zeropower_via_newtonschulz5 on one matrix: bfloat16 result, the input's shape.
torch::Tensor newton_schulz(const torch::Tensor& g, double epsilon);

class Muon {
 public:
  struct Group {
    std::string algorithm;  // "adamw" or "muon"
    double weight_decay = 0.0;
    double lr = 0.0;
    int64_t step = 0;  // dion's group["step"], counted on every step()
    std::vector<std::string> names;
    std::vector<torch::Tensor> params;
    std::vector<torch::Tensor> momentum;  // undefined until the parameter first has a gradient
    std::vector<torch::Tensor> variance;  // AdamW groups only
  };

  // `takes_decay(name)`: HF's decay rule (optimizer.h takes_weight_decay).
  Muon(const std::vector<std::pair<std::string, torch::Tensor>>& params, const MuonSettings& settings,
       bool (*takes_decay)(const std::string&));

  void step();
  void set_lr(double lr);
  double lr() const { return groups_.empty() ? settings_.lr : groups_.front().lr; }
  const std::vector<Group>& groups() const { return groups_; }

  // torch.optim layout with dion's keys: {'state': {i: {'momentum'[, 'variance']}}, 'param_groups':
  // [{'algorithm', 'lr', 'mu', 'beta1', 'beta2', 'weight_decay', 'step', 'epsilon', 'nesterov',
  // 'flatten', 'adjust_lr', 'initial_lr', 'params'}]}.
  torch::IValue state_dict(double group_lr, double initial_lr) const;
  // IoError naming `path` when groups, parameter counts or shapes differ; nothing changes then.
  void load_state_dict(const torch::IValue& dict, const std::string& path);

 private:
  void muon_update(Group& g, size_t i);
  void adamw_update(Group& g, size_t i);

  MuonSettings settings_;
  std::vector<Group> groups_;
};

}  // namespace axolotl::train
