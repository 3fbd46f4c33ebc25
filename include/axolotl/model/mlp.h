// LLaMA SiLU-gated MLP: down_proj(silu(gate_proj(x)) * up_proj(x)) (FORMATS.md §2.3). Projections are
// swappable LinearLike submodules (see linear.h).
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>

#include "axolotl/model/linear.h"
#include "axolotl/model/llama_config.h"

namespace axolotl::model {

class LlamaMlpImpl : public torch::nn::Module {
 public:
  LlamaMlpImpl(const LlamaConfig& config, const torch::TensorOptions& options);
  torch::Tensor forward(const torch::Tensor& x);  // (B, T, H) -> (B, T, H)

  // "gate_proj", "up_proj" or "down_proj".
  std::shared_ptr<LinearLike> projection(const std::string& name) const;
  void set_projection(const std::string& name, std::shared_ptr<LinearLike> layer);

  std::shared_ptr<LinearLike> gate_proj, up_proj, down_proj;

 private:
  std::shared_ptr<LinearLike>& slot(const std::string& name);
};
TORCH_MODULE(LlamaMlp);

}  // namespace axolotl::model
