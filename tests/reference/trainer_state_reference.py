#!/usr/bin/env python3
"""Reads trainer_state.json files the way HF Trainer does when it resumes from a checkpoint
(transformers' trainer_callback.py and trainer.py as of the releases with best_global_step, 5.x
included; restated, as transformers is not a Debian package): TrainerState.load_from_json is
cls(**json.loads(text)), so a key the dataclass lacks is a TypeError and Trainer cannot resume;
Trainer._load_callback_state then builds each stateful callback from its saved
{"args": ..., "attributes": ...} (TrainerControl(**args), EarlyStoppingCallback(**args)).
Checks types as Trainer uses them: global_step an int, log_history a list of dicts whose last record
of a finished run is speed_metrics' train summary.
Run: /usr/bin/python3 tests/reference/trainer_state_reference.py FILE [--finished] ..."""
import dataclasses
import json
import sys
from dataclasses import dataclass
from typing import Optional, Union


@dataclass
class TrainerState:  # transformers' trainer_callback.py: the fields in order, defaults as there
    epoch: Optional[float] = None
    global_step: int = 0
    max_steps: int = 0
    logging_steps: int = 500
    eval_steps: int = 500
    save_steps: int = 500
    train_batch_size: Optional[int] = None
    num_train_epochs: int = 0
    num_input_tokens_seen: int = 0
    total_flos: float = 0
    log_history: list = None
    best_metric: Optional[float] = None
    best_global_step: Optional[int] = None
    best_model_checkpoint: Optional[str] = None
    is_local_process_zero: bool = True
    is_world_process_zero: bool = True
    is_hyper_param_search: bool = False
    trial_name: Optional[str] = None
    trial_params: Optional[dict] = None
    stateful_callbacks: Optional[dict] = None


@dataclass
class TrainerControl:
    should_training_stop: bool = False
    should_epoch_stop: bool = False
    should_save: bool = False
    should_evaluate: bool = False
    should_log: bool = False


class EarlyStoppingCallback:
    def __init__(self, early_stopping_patience: int = 1, early_stopping_threshold: Optional[float] = 0.0):
        self.early_stopping_patience = early_stopping_patience
        self.early_stopping_threshold = early_stopping_threshold
        self.early_stopping_patience_counter = 0


CALLBACKS = {"TrainerControl": TrainerControl, "EarlyStoppingCallback": EarlyStoppingCallback}
TRAIN_SUMMARY = ("train_runtime", "train_samples_per_second", "train_steps_per_second", "total_flos", "train_loss",
                 "epoch", "step")


def check(path, finished):
    with open(path, encoding="utf-8") as f:
        state = TrainerState(**json.loads(f.read()))  # TypeError on a key Trainer does not know
    assert isinstance(state.global_step, int) and state.global_step > 0, state.global_step
    assert isinstance(state.max_steps, int) and state.max_steps >= state.global_step, state.max_steps
    assert isinstance(state.total_flos, (int, float)) and state.total_flos > 0, state.total_flos
    assert isinstance(state.log_history, list) and all(isinstance(r, dict) for r in state.log_history)
    assert state.best_global_step is None or isinstance(state.best_global_step, int)
    assert isinstance(state.stateful_callbacks, dict) and "TrainerControl" in state.stateful_callbacks
    for name, saved in state.stateful_callbacks.items():
        assert set(saved) == {"args", "attributes"}, (name, sorted(saved))
        cb = CALLBACKS[name](**saved["args"])  # Trainer._load_callback_state
        for k, v in saved["attributes"].items():
            assert hasattr(cb, k), (name, k)
            setattr(cb, k, v)
    steps = [r["step"] for r in state.log_history]
    assert steps == sorted(steps) and steps[-1] <= state.global_step, steps
    if finished:
        last = state.log_history[-1]
        assert all(k in last for k in TRAIN_SUMMARY), sorted(last)
        assert last["total_flos"] == state.total_flos and last["step"] == state.global_step, last
    print(f"{path}: ok ({len(dataclasses.fields(state))} fields)")


def main(argv):
    finished = "--finished" in argv
    for path in (a for a in argv if a != "--finished"):
        check(path, finished)


if __name__ == "__main__":
    main(sys.argv[1:])
