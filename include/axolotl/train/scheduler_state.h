// scheduler.pt as HF Trainer saves it: torch.optim.lr_scheduler.LambdaLR.state_dict() of the scheduler
// transformers' get_scheduler builds (one lambda per parameter group, a functools.partial, whose
// __dict__ is saved as {}). Our schedule is a pure function of the step (lr_scheduler.h), so resume
// does not need this file; it is written for Python tools.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace axolotl::train {

// After `step` optimizer steps: last_epoch = step, _step_count = step + 1, base_lrs = [base_lr] * groups,
// _last_lr = [last_lr] * groups (the rate for the next step).
torch::IValue lambda_lr_state_dict(int64_t step, double base_lr, double last_lr, int64_t groups);

}  // namespace axolotl::train
