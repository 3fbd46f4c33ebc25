// Switching every LoRA adapter off for a scope, as PEFT's disable_adapter / TRL's use_adapter(model, None):
// preference training's reference model is the same base weights without the adapter, no second copy.
// Limits: per thread (the reference pass runs under no_grad on the calling thread); modules_to_save are
// trained in place, so they are NOT switched back to their base weights (callers refuse that case).
#pragma once

namespace axolotl::adapters {

// True while an AdaptersDisabled scope is open on this thread: LoraLinear then returns base(x) only.
bool adapters_disabled();

class AdaptersDisabled {
 public:
  AdaptersDisabled();
  ~AdaptersDisabled();
  AdaptersDisabled(const AdaptersDisabled&) = delete;
  AdaptersDisabled& operator=(const AdaptersDisabled&) = delete;

 private:
  bool previous_;
};

}  // namespace axolotl::adapters
