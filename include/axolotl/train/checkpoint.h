// Checkpoint folders in HF Trainer's layout (FORMATS.md §7.1): output_dir/checkpoint-N/ with the weights,
// optimizer.pt, scheduler.pt and rng_state.pth as torch.save pickles Trainer reads (optimizer_state_dict.h,
// scheduler_state.h, rng_state.h), trainer_state.json, training_progress.json (data cursor) and the
// resolved config. Written into a hidden temp folder and renamed; checkpoint_manifest.json (sizes and
// CRC-32C of every file) is written last, so a checkpoint without a valid manifest is known to be
// incomplete or corrupt.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>


namespace axolotl::train {

inline constexpr const char* kManifestName = "checkpoint_manifest.json";

struct CheckpointInfo {
  int64_t step = 0;
  std::string path;
};

// Creates output_dir/checkpoint-<step>: `fill(dir)` writes every file into the temp folder `dir`; then the
// manifest is added and the folder renamed into place (replacing an older folder of the same step).
// On any failure (full disk: IoError naming the file and the OS reason) the temp folder is removed.
std::string save_checkpoint(const std::string& output_dir, int64_t step,
                            const std::function<void(const std::string& dir)>& fill);

// Removes unfinished checkpoint temp folders (".checkpoint-N.tmp-PID") that a run which died left
// behind. Call only while holding the output folder's lock (io::FolderLock).
void remove_stale_checkpoint_temps(const std::string& output_dir);

// Empty when `dir` has a manifest whose files all match; otherwise what is wrong (for the user).
std::string verify_checkpoint(const std::string& dir);

// checkpoint-N folders under output_dir (regex ^checkpoint-(\d+)$), by ascending step.
std::vector<CheckpointInfo> list_checkpoints(const std::string& output_dir);

// The newest checkpoint that verifies; bad ones are skipped with a warning naming them.
std::optional<CheckpointInfo> latest_good_checkpoint(const std::string& output_dir);

// save_total_limit: deletes the oldest checkpoints so that `keep` remain (0 = keep all); never deletes
// `protect` (the best checkpoint, when tracked).
void rotate_checkpoints(const std::string& output_dir, int keep, const std::string& protect = {});

}  // namespace axolotl::train
