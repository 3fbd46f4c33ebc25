// Unit tests of the Hub client pieces that need no server: sha256, environment, URLs, cache layout,
// file selection, retry arithmetic.
#include <gtest/gtest.h>

#include <filesystem>

#include "axolotl/io/hub_cache.h"
#include "axolotl/io/hub_download.h"
#include "axolotl/io/hub_select.h"
#include "axolotl/io/hub_sha256.h"
#include "axolotl/io/http_client.h"
#include "axolotl/io/http_retry.h"
#include "test_hub_fake.h"
#include "test_support.h"

namespace axolotl::testing {
namespace fs = std::filesystem;
using namespace axolotl::io;

TEST(HubSha256, MatchesFips180Vectors) {
  // FIPS 180-4 examples (NIST CSRC "SHA256.pdf") and the million-'a' vector.
  Sha256 empty;
  EXPECT_EQ(empty.hex_digest(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 abc;
  abc.update("abc");
  EXPECT_EQ(abc.hex_digest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 two_blocks;
  two_blocks.update("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
  EXPECT_EQ(two_blocks.hex_digest(), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  Sha256 million;
  std::string a(1000, 'a');
  for (int i = 0; i < 1000; ++i) million.update(a);
  EXPECT_EQ(million.hex_digest(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(HubSha256, SplitUpdatesEqualOneUpdateAndFileHash) {
  std::string data = random_bytes(100003, 9);
  Sha256 whole;
  whole.update(data);
  std::string expected = whole.hex_digest();
  Sha256 parts;
  for (size_t off = 0, step = 1; off < data.size(); off += step, step = step * 3 % 997 + 1) {
    parts.update(data.data() + off, std::min(step, data.size() - off));
  }
  EXPECT_EQ(parts.hex_digest(), expected);
  TempDir dir;
  write_file(dir / "f", data);
  EXPECT_EQ(sha256_file((dir / "f").string()), expected);
}

TEST(HubEnvTest, ReadsVariablesLikeHuggingfaceHub) {
  TempDir dir;
  EnvGuard env;
  for (const char* n : {"HF_ENDPOINT", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE",
                        "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_HUB_DISABLE_IMPLICIT_TOKEN",
                        "HF_HUB_ETAG_TIMEOUT", "HF_HUB_DOWNLOAD_TIMEOUT"}) {
    env.unset(n);
  }
  env.unset("HF_HOME");
  env.set("XDG_CACHE_HOME", (dir / "xdg").string());
  HubEnv e = HubEnv::from_environment();
  EXPECT_EQ(e.endpoint, "https://huggingface.co");
  EXPECT_EQ(e.hf_home, (dir / "xdg" / "huggingface").string());
  EXPECT_EQ(e.hub_cache, (dir / "xdg" / "huggingface" / "hub").string());
  EXPECT_FALSE(e.offline);
  EXPECT_TRUE(e.token.empty());

  env.set("HF_HOME", (dir / "home").string());
  env.set("HF_ENDPOINT", "http://127.0.0.1:9/");
  write_file(dir / "home" / "token", "  hf_fromfile \n");
  e = HubEnv::from_environment();
  EXPECT_EQ(e.endpoint, "http://127.0.0.1:9");
  EXPECT_EQ(e.hub_cache, (dir / "home" / "hub").string());
  EXPECT_EQ(e.token, "hf_fromfile");

  write_file(dir / "other_token", "hf_path\n");
  env.set("HF_TOKEN_PATH", (dir / "other_token").string());
  EXPECT_EQ(HubEnv::from_environment().token, "hf_path");
  env.set("HUGGING_FACE_HUB_TOKEN", "hf_legacy");
  EXPECT_EQ(HubEnv::from_environment().token, "hf_legacy");
  env.set("HF_TOKEN", "hf_main");
  EXPECT_EQ(HubEnv::from_environment().token, "hf_main");
  env.set("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1");
  EXPECT_TRUE(HubEnv::from_environment().token.empty());

  env.set("HF_HUB_CACHE", (dir / "cache").string());
  EXPECT_EQ(HubEnv::from_environment().hub_cache, (dir / "cache").string());
  for (const char* v : {"1", "ON", "yes", "True"}) {
    env.set("HF_HUB_OFFLINE", v);
    EXPECT_TRUE(HubEnv::from_environment().offline) << v;
  }
  for (const char* v : {"0", "off", "", "2"}) {
    env.set("HF_HUB_OFFLINE", v);
    EXPECT_FALSE(HubEnv::from_environment().offline) << v;
  }
  env.set("HF_HUB_ETAG_TIMEOUT", "soon");
  EXPECT_THROW(HubEnv::from_environment(), UsageError);
}

TEST(HubUrl, QuotesRevisionAndFilenameLikePython) {
  EXPECT_EQ(url_quote("refs/pr/1", ""), "refs%2Fpr%2F1");
  EXPECT_EQ(url_quote("sub dir/a+b.json"), "sub%20dir/a%2Bb.json");
  EXPECT_EQ(url_quote("v1.0_x-y~z"), "v1.0_x-y~z");
  EXPECT_EQ(url_netloc("http://user@LocalHost:8080/a?b"), "localhost:8080");
  EXPECT_EQ(url_netloc("/relative/path"), "");
  EXPECT_EQ(url_join("http://127.0.0.1:5/org/a/resolve/main/x", "/org/b/resolve/main/x"),
            "http://127.0.0.1:5/org/b/resolve/main/x");
  EXPECT_EQ(url_join("http://127.0.0.1:5/a", "http://localhost:6/cdn/x"), "http://localhost:6/cdn/x");
}

TEST(HubNames, EtagsShasAndRepoIds) {
  EXPECT_EQ(normalize_etag("W/\"abc\""), "abc");
  EXPECT_EQ(normalize_etag("\"abc\""), "abc");
  EXPECT_EQ(normalize_etag("abc"), "abc");
  EXPECT_TRUE(is_commit_sha(kCommit));
  EXPECT_FALSE(is_commit_sha("main"));
  EXPECT_FALSE(is_commit_sha(std::string(40, 'G')));
  for (const char* ok : {"gpt2", "org/name", "TinyLlama/TinyLlama-1.1B-Chat-v1.0", "a_b/c.d"}) {
    EXPECT_TRUE(is_repo_id(ok)) << ok;
  }
  for (const char* bad : {"", "a/b/c", "/abs", "./x", "org/", "a--b/c", "a/..b", "-a/b", "a/b.", "a b/c", "~/m"}) {
    EXPECT_FALSE(is_repo_id(bad)) << bad;
  }
  EXPECT_THROW(check_repo_path("../etc/passwd", "t"), IoError);
  EXPECT_THROW(check_repo_path("a//b", "t"), IoError);
  EXPECT_THROW(check_repo_path("/abs", "t"), IoError);
  EXPECT_NO_THROW(check_repo_path("refs/pr/1", "t"));
}

TEST(HubCacheTest, LayoutMatchesHuggingfaceHub) {
  TempDir dir;
  HubCache cache((dir / "hub").string(), RepoType::kModel, "org/tiny");
  EXPECT_EQ(HubCache::folder_name(RepoType::kDataset, "org/d"), "datasets--org--d");
  EXPECT_EQ(cache.repo_dir(), (dir / "hub" / "models--org--tiny").string());
  EXPECT_EQ(cache.lock_path("e1"), (dir / "hub" / ".locks" / "models--org--tiny" / "e1.lock").string());
  write_file(cache.blob_path("e1"), "one");
  write_file(cache.blob_path("e2"), "two");
  cache.link_snapshot(kCommit, "config.json", "e1");
  cache.link_snapshot(kCommit, "sub/dir/x.json", "e2");
  EXPECT_EQ(fs::read_symlink(cache.snapshot_file(kCommit, "config.json")).string(), "../../blobs/e1");
  EXPECT_EQ(fs::read_symlink(cache.snapshot_file(kCommit, "sub/dir/x.json")).string(), "../../../../blobs/e2");
  EXPECT_EQ(read_file(cache.snapshot_file(kCommit, "sub/dir/x.json")), "two");
  cache.link_snapshot(kCommit, "config.json", "e2");  // replacing an entry is atomic and allowed
  EXPECT_EQ(read_file(cache.snapshot_file(kCommit, "config.json")), "two");
  EXPECT_EQ(cache.snapshot_files(kCommit), (std::vector<std::string>{"config.json", "sub/dir/x.json"}));

  EXPECT_FALSE(cache.cached_commit("main"));
  cache.write_ref("main", kCommit);
  cache.write_ref("refs/pr/1", kCommit);
  EXPECT_EQ(read_file(dir / "hub" / "models--org--tiny" / "refs" / "main"), kCommit);  // no newline
  EXPECT_EQ(cache.cached_commit("refs/pr/1"), std::optional<std::string>(kCommit));
  EXPECT_EQ(cache.cached_commit(kCommit), std::optional<std::string>(kCommit));
  EXPECT_FALSE(cache.cached_commit(std::string(40, 'a')));  // a sha without snapshot is unknown
  cache.write_ref(kCommit, kCommit);                         // no ref for a sha revision
  EXPECT_FALSE(fs::exists(dir / "hub" / "models--org--tiny" / "refs" / kCommit));

  fs::remove(cache.blob_path("e2"));
  EXPECT_FALSE(cache.has_file(kCommit, "config.json"));  // dangling link: not a cached file
  cache.mark_missing(kCommit, "added_tokens.json");
  EXPECT_TRUE(cache.known_missing(kCommit, "added_tokens.json"));
  EXPECT_TRUE(fs::is_regular_file(dir / "hub" / "models--org--tiny" / ".no_exist" / kCommit / "added_tokens.json"));
}

std::vector<std::string> keys(const FakeRepo& r) {
  std::vector<std::string> v;
  for (const auto& [k, c] : r.files) v.push_back(k);
  return v;
}

TEST(HubSelect, ModelTakesConfigIndexTokenizerNeverPickles) {
  FileSelection s = select_files(keys(sharded_model_repo()), HubContent::kModel, {});
  EXPECT_TRUE(s.problem.empty()) << s.problem;
  EXPECT_EQ(s.files, (std::vector<std::string>{"config.json", "generation_config.json", "model.safetensors.index.json",
                                               "tokenizer.json", "tokenizer.model", "tokenizer_config.json"}));
  s = select_files({"config.json", "model.safetensors", "model-x.safetensors", "pytorch_model.bin"}, HubContent::kModel, {});
  EXPECT_EQ(s.files, (std::vector<std::string>{"config.json", "model.safetensors"}));
  s = select_files({"config.json", "pytorch_model.bin", "tokenizer.model"}, HubContent::kModel, {});
  EXPECT_NE(s.problem.find("pickled"), std::string::npos);
  EXPECT_NE(s.hint.find("safetensors"), std::string::npos);
  s = select_files({"model.safetensors"}, HubContent::kModel, {});
  EXPECT_NE(s.problem.find("config.json"), std::string::npos);
  s = select_files({"config.json", "tokenizer.model", "model.safetensors"}, HubContent::kTokenizer, {});
  EXPECT_EQ(s.files, (std::vector<std::string>{"config.json", "tokenizer.model"}));
}

TEST(HubSelect, AdapterDatasetAndGlobs) {
  FileSelection s = select_files({"adapter_config.json", "adapter_model.safetensors", "adapter_model.bin", "README.md"},
                                 HubContent::kAdapter, {});
  EXPECT_EQ(s.files, (std::vector<std::string>{"adapter_config.json", "adapter_model.safetensors"}));
  s = select_files({"adapter_config.json", "adapter_model.bin"}, HubContent::kAdapter, {});
  EXPECT_NE(s.problem.find("pickled"), std::string::npos);
  s = select_files({"data/train.jsonl", "alpaca.json", "dataset_infos.json", "data/x.parquet", "README.md"},
                   HubContent::kDataset, {});
  EXPECT_EQ(s.files, (std::vector<std::string>{"alpaca.json", "data/train.jsonl"}));
  s = select_files({"data/x.parquet"}, HubContent::kDataset, {});
  EXPECT_NE(s.problem.find("json"), std::string::npos);
  s = select_files(keys(sharded_model_repo()), HubContent::kModel, {"*.json", "original/"});
  EXPECT_EQ(s.files, (std::vector<std::string>{"config.json", "generation_config.json", "model.safetensors.index.json",
                                               "original/params.json", "tokenizer.json", "tokenizer_config.json"}));
  s = select_files(keys(sharded_model_repo()), HubContent::kModel, {"*"});
  EXPECT_EQ(std::count(s.files.begin(), s.files.end(), "pytorch_model.bin"), 0);  // pickles skipped beside safetensors
  EXPECT_FALSE(select_files({"a.txt"}, HubContent::kModel, {"*.json"}).problem.empty());
}

TEST(HubSelect, ShardsFromIndex) {
  TempDir dir;
  write_file(dir / "i.json", sharded_model_repo().files["model.safetensors.index.json"]);
  EXPECT_EQ(shards_from_index((dir / "i.json").string()),
            (std::vector<std::string>{"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}));
  write_file(dir / "bad.json", R"({"weight_map": {"a": "../../escape.safetensors"}})");
  EXPECT_THROW(shards_from_index((dir / "bad.json").string()), IoError);
  write_file(dir / "worse.json", "{");
  EXPECT_THROW(shards_from_index((dir / "worse.json").string()), IoError);
}

TEST(HubRetry, ExponentialBackoffAndRetryAfter) {
  RetryPolicy p;
  EXPECT_EQ(retry_delay_ms(p, 1), 1000);
  EXPECT_EQ(retry_delay_ms(p, 2), 2000);
  EXPECT_EQ(retry_delay_ms(p, 4), 8000);
  EXPECT_EQ(retry_delay_ms(p, 9), 8000);
  EXPECT_EQ(retry_delay_ms(p, 1, "3"), 3000);
  EXPECT_EQ(retry_delay_ms(p, 1, "100000"), 60000);
  EXPECT_EQ(retry_delay_ms(p, 2, "Wed, 21 Oct 2015 07:28:00 GMT"), 2000);
  for (long s : {429L, 500L, 502L, 503L, 504L}) EXPECT_TRUE(is_transient_status(s)) << s;
  for (long s : {200L, 302L, 401L, 403L, 404L}) EXPECT_FALSE(is_transient_status(s)) << s;
}

}  // namespace axolotl::testing
