// Sharded checkpoints: ShardedWriter's shard plan, names and index file; ShardedReader's lookup
// and its index checks (all problems reported at once).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>

#include "axolotl/io/sharded_reader.h"
#include "axolotl/io/sharded_writer.h"
#include "axolotl/util/error.h"
#include "test_support.h"

namespace axolotl::io {
namespace {
namespace fs = std::filesystem;
using axolotl::testing::read_file;
using axolotl::testing::TempDir;
using axolotl::testing::write_file;

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 31);
  return v;
}

std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Sizes 400, 400, 400, 1500, 100 with a 1000-byte limit: huggingface_hub's plan is
// {t0,t1}, {t3} (over the limit: alone), {t2,t4}.
TEST(ShardedWriter, PlansShardsLikeHuggingfaceHub) {
  TempDir dir;
  ShardedWriter w(dir.path().string(), 1000);
  std::vector<size_t> sizes = {400, 400, 400, 1500, 100};
  for (size_t i = 0; i < sizes.size(); ++i) {
    w.add(tensor_owning_bytes("t" + std::to_string(i), DType::kU8, {static_cast<int64_t>(sizes[i])},
                              pattern(sizes[i], static_cast<uint8_t>(i))));
  }
  std::vector<std::string> files = w.finish();
  ASSERT_EQ(files, (std::vector<std::string>{"model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                                             "model-00003-of-00003.safetensors"}));
  EXPECT_EQ(listing(dir.path()), (std::vector<std::string>{"model-00001-of-00003.safetensors",
                                                           "model-00002-of-00003.safetensors",
                                                           "model-00003-of-00003.safetensors",
                                                           "model.safetensors.index.json"}));
  std::string index_text = read_file(dir / "model.safetensors.index.json");
  auto index = nlohmann::json::parse(index_text);
  EXPECT_EQ(index["metadata"]["total_size"], 2800);
  EXPECT_EQ(index["weight_map"]["t0"], files[0]);
  EXPECT_EQ(index["weight_map"]["t1"], files[0]);
  EXPECT_EQ(index["weight_map"]["t3"], files[1]);
  EXPECT_EQ(index["weight_map"]["t2"], files[2]);
  EXPECT_EQ(index["weight_map"]["t4"], files[2]);
  // transformers: json.dumps(index, indent=2, sort_keys=True) + "\n"
  EXPECT_EQ(index_text.substr(0, 49), "{\n  \"metadata\": {\n    \"total_size\": 2800\n  },\n  \"");
  EXPECT_EQ(index_text.back(), '\n');
  EXPECT_EQ(index_text, index.dump(2) + "\n");

  auto r = ShardedReader::open(dir.path().string());
  EXPECT_TRUE(r->sharded());
  EXPECT_EQ(r->files().size(), 3u);
  EXPECT_EQ(r->names(), (std::vector<std::string>{"t0", "t1", "t2", "t3", "t4"}));
  EXPECT_EQ(r->total_bytes(), 2800u);
  for (size_t i = 0; i < sizes.size(); ++i) {
    TensorRef t = r->at("t" + std::to_string(i));
    ASSERT_EQ(t.info->nbytes(), sizes[i]);
    EXPECT_EQ(std::memcmp(t.data(), pattern(sizes[i], static_cast<uint8_t>(i)).data(), sizes[i]), 0);
  }
  EXPECT_FALSE(r->find("t9"));
  EXPECT_THROW(r->at("t9"), IoError);
}

TEST(ShardedWriter, SingleShardIsPlainModelFileAndReplacesOldShards) {
  TempDir dir;
  std::vector<TensorSource> big;
  for (int i = 0; i < 4; ++i) big.push_back(tensor_owning_bytes("a" + std::to_string(i), DType::kF32, {100}, pattern(400, 1)));
  write_sharded(dir.path().string(), std::move(big), 500);
  EXPECT_EQ(listing(dir.path()).size(), 5u);  // 4 shards + index
  std::vector<TensorSource> small = {tensor_owning_bytes("w", DType::kBF16, {2, 2}, pattern(8, 3))};
  EXPECT_EQ(write_sharded(dir.path().string(), std::move(small), 500), std::vector<std::string>{"model.safetensors"});
  EXPECT_EQ(listing(dir.path()), std::vector<std::string>{"model.safetensors"});
  auto r = ShardedReader::open(dir.path().string());
  EXPECT_FALSE(r->sharded());
  EXPECT_EQ(r->names(), std::vector<std::string>{"w"});
  EXPECT_EQ(r->at("w").file->metadata().at("format"), "pt");
}

TEST(ShardedWriter, NoTensorsGivesEmptyModelFile) {
  TempDir dir;
  ShardedWriter w(dir.path().string(), 100);
  EXPECT_EQ(w.finish(), std::vector<std::string>{"model.safetensors"});
  EXPECT_EQ(ShardedReader::open(dir.path().string())->size(), 0u);
}

TEST(ShardedWriter, UnfinishedOrFailedWriteLeavesNothing) {
  TempDir dir;
  {
    ShardedWriter w(dir.path().string(), 10);
    for (int i = 0; i < 5; ++i) w.add(tensor_owning_bytes("t" + std::to_string(i), DType::kU8, {8}, pattern(8, 0)));
    EXPECT_FALSE(fs::is_empty(dir.path()));  // full shards were written already
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
  {
    ShardedWriter w(dir.path().string(), 10);
    w.add(tensor_owning_bytes("ok", DType::kU8, {8}, pattern(8, 0)));
    w.add(TensorSource{"bad", DType::kU8, {8}, [](uint8_t*) { throw IoError("source failed"); }});
    EXPECT_THROW(w.add(tensor_owning_bytes("next", DType::kU8, {8}, pattern(8, 0))), IoError);  // flushes "bad"
    EXPECT_THROW(w.add(tensor_owning_bytes("ok", DType::kU8, {1}, pattern(1, 0))), IoError);    // duplicate
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
  EXPECT_THROW(ShardedWriter((dir / "absent").string(), 10), IoError);
  EXPECT_THROW(ShardedWriter(dir.path().string(), 0), IoError);
}

// Three shards, then an index with three kinds of damage: all must be reported together.
TEST(ShardedReader, ReportsEveryIndexProblemAtOnce) {
  TempDir dir;
  ShardedWriter w(dir.path().string(), 16);
  for (int i = 0; i < 6; ++i) w.add(tensor_owning_bytes("t" + std::to_string(i), DType::kF32, {2}, pattern(8, 0)));
  std::vector<std::string> files = w.finish();
  ASSERT_EQ(files.size(), 3u);
  auto index = nlohmann::json::parse(read_file(dir / "model.safetensors.index.json"));
  index["weight_map"]["t0"] = files[1];                            // wrong file: t0 is in shard 1
  index["weight_map"]["ghost"] = files[2];                         // not in any shard
  index["weight_map"]["t9"] = "model-00009-of-00009.safetensors";  // missing shard
  write_file(dir / "model.safetensors.index.json", index.dump(2));
  try {
    ShardedReader::open(dir.path().string());
    FAIL() << "no error";
  } catch (const IoError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("3 problems"), std::string::npos) << what;
    EXPECT_NE(what.find("model-00009-of-00009.safetensors is missing"), std::string::npos) << what;
    EXPECT_NE(what.find("tensor t0 is not in " + files[1] + ", where weight_map puts it (it is in " + files[0] + ")"),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("tensor ghost is not in " + files[2]), std::string::npos) << what;
    EXPECT_NE(what.find("model.safetensors.index.json"), std::string::npos) << what;
  }
}

TEST(ShardedReader, RejectsBadIndexAndFolders) {
  TempDir dir;
  EXPECT_FALSE(ShardedReader::exists(dir.path().string()));
  EXPECT_THROW(ShardedReader::open(dir.path().string()), IoError);  // nothing there
  write_file(dir / "model.safetensors.index.json", "{not json");
  EXPECT_TRUE(ShardedReader::exists(dir.path().string()));
  EXPECT_THROW(ShardedReader::open(dir.path().string()), IoError);
  write_file(dir / "model.safetensors.index.json", R"({"metadata": {}})");
  EXPECT_THROW(ShardedReader::open(dir.path().string()), IoError);
  write_file(dir / "model.safetensors.index.json", R"({"weight_map": {"a": "../model.safetensors", "b": 3}})");
  try {
    ShardedReader::open(dir.path().string());
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("2 problems"), std::string::npos) << e.what();
  }
  // A corrupt shard is reported with its own validation message.
  write_file(dir / "model-00001-of-00001.safetensors", "garbage!!");
  write_file(dir / "model.safetensors.index.json", R"({"weight_map": {"a": "model-00001-of-00001.safetensors"}})");
  try {
    ShardedReader::open(dir.path().string());
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("header too large"), std::string::npos) << e.what();
  }
}

TEST(ShardedReader, SingleFileWinsOverIndex) {
  TempDir dir;
  write_safetensors((dir / "model.safetensors").string(), {tensor_owning_bytes("x", DType::kU8, {1}, {7})});
  write_file(dir / "model.safetensors.index.json", "{broken");
  auto r = ShardedReader::open(dir.path().string());
  EXPECT_FALSE(r->sharded());
  EXPECT_EQ(*r->at("x").data(), 7);
}

}  // namespace
}  // namespace axolotl::io
