// Checkpoint folders: atomic save with manifest, detection of incomplete/corrupt ones, fallback to the
// previous good one, rotation, and the RNG state file (Trainer's rng_state.pth; older archives).
#include <gtest/gtest.h>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <filesystem>
#include <mutex>

#include "axolotl/train/checkpoint.h"
#include "axolotl/train/rng_state.h"
#include "axolotl/train/torch_pickle.h"
#include "axolotl/train/trainer_rng.h"
#include "axolotl/util/error.h"
#include "test_support.h"

namespace axolotl::train {
namespace {
namespace fs = std::filesystem;

std::string save(const testing::TempDir& out, int64_t step, const std::string& payload = "weights") {
  return save_checkpoint(out.path().string(), step, [&](const std::string& dir) {
    testing::write_file(fs::path(dir) / "adapter_model.safetensors", payload);
    testing::write_file(fs::path(dir) / "trainer_state.json", "{}\n");
  });
}

TEST(Checkpoint, SaveWritesManifestAndVerifies) {
  testing::TempDir out;
  const std::string dir = save(out, 5);
  EXPECT_EQ(fs::path(dir).filename(), "checkpoint-5");
  EXPECT_TRUE(fs::exists(fs::path(dir) / kManifestName));
  EXPECT_EQ(verify_checkpoint(dir), "");
  for (const auto& e : fs::directory_iterator(out.path()))  // no temp folder left behind
    EXPECT_EQ(e.path().filename().string().rfind(".checkpoint", 0), std::string::npos);
}

TEST(Checkpoint, DetectsIncompleteAndCorruptFolders) {
  testing::TempDir out;
  const std::string dir = save(out, 1, "0123456789");
  testing::write_file(fs::path(dir) / "adapter_model.safetensors", "0123456780");  // same size, one byte off
  EXPECT_NE(verify_checkpoint(dir).find("adapter_model.safetensors is corrupt"), std::string::npos);
  testing::write_file(fs::path(dir) / "adapter_model.safetensors", "short");
  EXPECT_NE(verify_checkpoint(dir).find("bytes"), std::string::npos);
  fs::remove(fs::path(dir) / "adapter_model.safetensors");
  EXPECT_NE(verify_checkpoint(dir).find("missing"), std::string::npos);
  fs::remove(fs::path(dir) / kManifestName);
  EXPECT_NE(verify_checkpoint(dir).find("did not finish"), std::string::npos);
}

TEST(Checkpoint, LatestGoodFallsBackPastABrokenOne) {
  testing::TempDir out;
  save(out, 10);
  save(out, 20);
  const std::string broken = save(out, 30);
  fs::remove(fs::path(broken) / kManifestName);
  fs::create_directories(out / "checkpoint-abc");  // not a checkpoint name
  auto all = list_checkpoints(out.path().string());
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].step, 10);
  EXPECT_EQ(all[2].step, 30);
  auto good = latest_good_checkpoint(out.path().string());
  ASSERT_TRUE(good);
  EXPECT_EQ(good->step, 20);
  EXPECT_FALSE(latest_good_checkpoint((out / "nothing").string()));
}

TEST(Checkpoint, RotationKeepsTheNewestAndTheProtectedOne) {
  testing::TempDir out;
  const std::string first = save(out, 2);
  save(out, 4);
  save(out, 6);
  save(out, 8);
  // HF _rotate_checkpoints: the best one counts towards the limit but is never deleted.
  rotate_checkpoints(out.path().string(), 2, first);
  auto left = list_checkpoints(out.path().string());
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].step, 2);
  EXPECT_EQ(left[1].step, 8);
  rotate_checkpoints(out.path().string(), 0);  // 0 keeps all
  EXPECT_EQ(list_checkpoints(out.path().string()).size(), 2u);
  save(out, 10);
  rotate_checkpoints(out.path().string(), 1, first);  // limit 1 with an older best keeps 2 (HF)
  left = list_checkpoints(out.path().string());
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[1].step, 10);
}

TEST(Checkpoint, RngStateRoundTrip) {
  testing::TempDir out;
  torch::manual_seed(123);
  torch::randn({3});
  save_rng_state((out / "rng_state.pth").string(), 42);
  const torch::Tensor expected = torch::randn({5});
  torch::manual_seed(999);
  load_rng_state((out / "rng_state.pth").string());
  EXPECT_TRUE(torch::equal(torch::randn({5}), expected));
  testing::write_file(out / "bad.pt", "garbage");
  EXPECT_THROW(load_rng_state((out / "bad.pt").string()), IoError);
  // A pickle of the wrong shape names what is missing.
  write_torch_pickle((out / "no_cpu.pth").string(), string_dict());
  try {
    load_rng_state((out / "no_cpu.pth").string());
    ADD_FAILURE() << "no error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("'cpu'"), std::string::npos) << e.what();
  }
}

TEST(Checkpoint, RngStateOfAnOlderCheckpointStillLoads) {
  testing::TempDir out;
  torch::manual_seed(7);
  torch::randn({2});
  {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    torch::save(std::vector<torch::Tensor>{gen.get_state()}, (out / "rng_state.pt").string());
  }
  const torch::Tensor expected = torch::randn({4});
  torch::manual_seed(1);
  EXPECT_EQ(rank_rng_file(out.path().string(), 0, 1), (out / "rng_state.pt").string());
  load_rng_state((out / "rng_state.pt").string());
  EXPECT_TRUE(torch::equal(torch::randn({4}), expected));
}

TEST(Checkpoint, RngFileNamesAreTrainers) {
  testing::TempDir out;
  const std::string dir = out.path().string();
  EXPECT_EQ(rank_rng_file(dir, 0, 1), "");
  testing::write_file(out / "rng_state.pth", "x");
  testing::write_file(out / "rng_state_1.pth", "x");
  EXPECT_EQ(rank_rng_file(dir, 0, 1), (out / "rng_state.pth").string());
  EXPECT_EQ(rank_rng_file(dir, 0, 2), (out / "rng_state.pth").string());  // a single-process checkpoint
  EXPECT_EQ(rank_rng_file(dir, 1, 2), (out / "rng_state_1.pth").string());
  EXPECT_EQ(rank_rng_file(dir, 2, 3), "");
  testing::write_file(out / "rng_state_0.pth", "x");
  EXPECT_EQ(rank_rng_file(dir, 0, 2), (out / "rng_state_0.pth").string());
}

TEST(Checkpoint, PythonAndNumpyStatesAreThoseOfTheirSeeding) {
  // Spot values of random.seed(42).getstate()[1] and np.random.seed(42).get_state()[1]; the whole
  // arrays are checked against Python by test_hf_checkpoint_files.
  const auto py = python_random_state(42);
  ASSERT_EQ(py.size(), 625u);
  EXPECT_EQ(py.front(), 2147483648);
  EXPECT_EQ(py.back(), 624);
  const auto np = numpy_random_key(42);
  ASSERT_EQ(np.size(), 624u);
  EXPECT_EQ(np[0], 42);
}

}  // namespace
}  // namespace axolotl::train
