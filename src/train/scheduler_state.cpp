// LambdaLR.state_dict() (see scheduler_state.h); keys as torch 1.13-2.x write them.
#include "axolotl/train/scheduler_state.h"

#include "axolotl/train/torch_pickle.h"

namespace axolotl::train {

torch::IValue lambda_lr_state_dict(int64_t step, double base_lr, double last_lr, int64_t groups) {
  c10::List<torch::IValue> base_lrs = any_list(), last_lrs = any_list();  // generic, see torch_pickle.h
  c10::List<torch::IValue> lambdas = any_list();
  for (int64_t g = 0; g < groups; ++g) {
    base_lrs.push_back(base_lr);
    last_lrs.push_back(last_lr);
    lambdas.push_back(string_dict());
  }
  auto d = string_dict();
  d.insert("base_lrs", base_lrs);
  d.insert("last_epoch", step);
  d.insert("verbose", false);
  d.insert("_step_count", step + 1);
  d.insert("_get_lr_called_within_step", false);
  d.insert("_last_lr", last_lrs);
  d.insert("lr_lambdas", lambdas);
  return d;
}

}  // namespace axolotl::train
