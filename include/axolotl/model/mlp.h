// Gated MLP: down_proj(act(gate_proj(x)) * up_proj(x)) (FORMATS.md §2.3), act = SiLU (LLaMA, Qwen, Phi-3)
// or tanh-approximate GELU (Gemma GeGLU); Phi-3 fuses gate and up into gate_up_proj (first half gate,
// FORMATS2.md §5). Projections are swappable LinearLike submodules (see linear.h).
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "axolotl/model/linear.h"
#include "axolotl/model/llama_config.h"

namespace axolotl::model {

class LlamaMlpImpl : public torch::nn::Module {
 public:
  LlamaMlpImpl(const LlamaConfig& config, const torch::TensorOptions& options);
  torch::Tensor forward(const torch::Tensor& x);  // (B, T, H) -> (B, T, H)

  // gate_proj, up_proj, down_proj (or gate_up_proj, down_proj when fused).
  const std::vector<std::string>& projection_names() const { return names_; }
  std::shared_ptr<LinearLike> projection(const std::string& name) const;
  void set_projection(const std::string& name, std::shared_ptr<LinearLike> layer);

  std::shared_ptr<LinearLike> gate_proj, up_proj, down_proj;  // gate/up null when fused
  std::shared_ptr<LinearLike> gate_up_proj;                   // Phi-3: (2·I, H); null otherwise

 private:
  std::shared_ptr<LinearLike>& slot(const std::string& name);
  torch::Tensor act(const torch::Tensor& x) const;
  std::vector<std::string> names_;
  bool gelu_tanh_;
};
TORCH_MODULE(LlamaMlp);

}  // namespace axolotl::model
