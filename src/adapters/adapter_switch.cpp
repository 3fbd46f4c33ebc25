// The per-thread adapter switch and the modules_to_save base weights (see adapter_switch.h).
#include "axolotl/adapters/adapter_switch.h"

#include <set>

#include "axolotl/adapters/adapter_config.h"
#include "axolotl/model/family.h"
#include "axolotl/model/llama_model.h"

namespace axolotl::adapters {
namespace {
thread_local bool g_disabled = false;
}  // namespace

bool adapters_disabled() { return g_disabled; }

SavedModuleBases SavedModuleBases::capture(model::LlamaForCausalLMImpl& m, const std::vector<std::string>& modules) {
  SavedModuleBases out;
  AdapterConfig saved;  // the matching setup_adapters uses for modules_to_save
  saved.modules_to_save = modules;
  std::set<const void*> seen;  // a tied lm_head shares embed_tokens' tensor
  torch::NoGradGuard no_grad;
  for (const auto& item : m.named_modules("", /*include_self=*/false)) {
    if (!saved.saves(model::peft_name(m.config(), item.key()))) continue;
    for (const auto& p : item.value()->named_parameters(/*recurse=*/false)) {
      torch::Tensor live = p.value();
      if (!seen.insert(live.unsafeGetTensorImpl()).second) continue;
      out.tables_.emplace_back(live, live.detach().clone());
    }
  }
  return out;
}

AdaptersDisabled::AdaptersDisabled(SavedModuleBases* bases) : previous_(g_disabled), bases_(bases) {
  g_disabled = true;
  if (!bases_) return;
  torch::NoGradGuard no_grad;
  for (auto& [live, base] : bases_->tables_) {
    if (base.device() != live.device() || base.scalar_type() != live.scalar_type()) {
      base = base.to(live.device(), live.scalar_type());
    }
    trained_.push_back(live.data());  // shares the trained storage
    live.set_data(base);
  }
}

AdaptersDisabled::~AdaptersDisabled() {
  g_disabled = previous_;
  if (!bases_) return;
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < trained_.size(); ++i) bases_->tables_[i].first.set_data(trained_[i]);
}

}  // namespace axolotl::adapters
