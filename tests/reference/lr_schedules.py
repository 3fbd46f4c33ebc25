#!/usr/bin/env python3
"""Golden values for tests/train/test_lr_scheduler.cpp: the lambdas of transformers optimization.py
(get_scheduler) and axolotl utils/schedulers.py (cosine with min_lr_ratio), re-stated here without
importing transformers, driven through torch.optim.lr_scheduler.LambdaLR so the step convention is
PyTorch's. Run: /usr/bin/python3 tests/reference/lr_schedules.py"""
import math

import torch


def constant(step, warmup, total):
    return 1.0


def constant_with_warmup(step, warmup, total):
    if step < warmup:
        return float(step) / float(max(1.0, warmup))
    return 1.0


def linear(step, warmup, total):
    if step < warmup:
        return float(step) / float(max(1, warmup))
    return max(0.0, float(total - step) / float(max(1, total - warmup)))


def cosine(step, warmup, total, num_cycles=0.5):
    if step < warmup:
        return float(step) / float(max(1, warmup))
    progress = float(step - warmup) / float(max(1, total - warmup))
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress)))


def cosine_min_lr(step, warmup, total, min_lr_ratio=0.1):
    if step < warmup:
        return float(step) / float(max(1, warmup))
    progress = float(step - warmup) / float(max(1, total - warmup))
    scaling = 0.5 * (1.0 + math.cos(math.pi * progress))
    return (1 - min_lr_ratio) * scaling + min_lr_ratio


def cosine_decay_constant(step, warmup, total, min_lr_ratio=0.1, constant_lr_ratio=0.6, num_cycles=0.5):
    # axolotl _get_cosine_schedule_with_warmup_decay_constant_lr_lambda (cosine_constant_lr_ratio)
    if step < warmup:
        return float(step) / float(max(1, warmup))
    num_constant_steps = int(total * constant_lr_ratio)
    step = min(step, num_constant_steps)
    progress = float(step - warmup) / float(max(1, num_constant_steps - warmup))
    return max(0, (1 - min_lr_ratio) * 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))) + min_lr_ratio


class JaggedLRRestartScheduler(torch.optim.lr_scheduler.LRScheduler if hasattr(torch.optim.lr_scheduler, "LRScheduler")
                               else torch.optim.lr_scheduler._LRScheduler):
    """axolotl utils/schedulers.py JaggedLRRestartScheduler (jagged_restart_steps), re-stated: it is built
    from the inner scheduler's last_epoch (0), and LRScheduler.__init__ steps once, so the wrapped run is
    one step ahead of its inner schedule."""

    def __init__(self, optimizer, inner, restart_steps, warmup_steps, anneal_steps=1, min_lr_scale=0.001):
        self.inner_schedule = inner
        self.restarts_steps = restart_steps
        self.warmup_steps = warmup_steps
        self.anneal_steps = anneal_steps
        self.min_lr_scale = min_lr_scale
        super().__init__(optimizer, inner.last_epoch)

    def get_lr(self):
        self.inner_schedule.last_epoch = self.last_epoch
        original = self.inner_schedule.get_lr()
        step = self.last_epoch
        if step < self.restarts_steps - self.anneal_steps:
            scale = 1
        else:
            per_restart_progress = step % self.restarts_steps
            if per_restart_progress < self.warmup_steps:
                cycle_t = min(1.0, per_restart_progress / self.warmup_steps)
            elif per_restart_progress > (self.restarts_steps - self.anneal_steps):
                cycle_t = min(1.0, (self.restarts_steps - per_restart_progress) / self.anneal_steps)
            else:
                cycle_t = 1
            scale = cycle_t * (1 - self.min_lr_scale) + self.min_lr_scale
        return [lr * scale for lr in original]


def jagged_lrs(fn, base_lr, warmup, total, steps, restart, restart_warmup, anneal, min_scale):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=base_lr)
    inner = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: fn(s, warmup, total))
    sched = JaggedLRRestartScheduler(opt, inner, restart, restart_warmup, anneal, min_scale)
    out = []
    for s in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def lrs(fn, base_lr, warmup, total, steps):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=base_lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: fn(s, warmup, total))
    out = []
    for s in range(steps):
        out.append(opt.param_groups[0]["lr"])  # the rate used by optimizer step s
        opt.step()
        sched.step()
    return out


if __name__ == "__main__":
    # warmup = ceil(total * warmup_ratio) with total=10, ratio=0.25 -> 3 (TrainingArguments.get_warmup_steps)
    print("warmup", math.ceil(10 * 0.25))
    for name, fn in [("constant", constant), ("constant_with_warmup", constant_with_warmup),
                     ("linear", linear), ("cosine", cosine), ("cosine_min_lr", cosine_min_lr),
                     ("cosine_decay_constant", cosine_decay_constant)]:
        print(name, " ".join(repr(x) for x in lrs(fn, 1e-3, 3, 10, 12)))
    # jagged_restart_steps 4, jagged_restart_warmup_steps 2, anneal 1 (Axolotl's `or 1`), min scale 0.001,
    # around cosine (warmup 3 of 10) and around linear with anneal 2 and min scale 0.1 (cosine_min_lr_ratio)
    print("jagged_cosine", " ".join(repr(x) for x in jagged_lrs(cosine, 1e-3, 3, 10, 12, 4, 2, 1, 0.001)))
    print("jagged_linear", " ".join(repr(x) for x in jagged_lrs(linear, 1e-3, 0, 10, 12, 4, 1, 2, 0.1)))
