// Hub downloads against tests/io/hub_server.py on 127.0.0.1: layout, reuse of the cache, resume,
// checksum, retries, auth and error messages.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "axolotl/io/hub_cache.h"
#include "axolotl/io/hub_client.h"
#include "axolotl/io/hub_download.h"
#include "axolotl/io/hub_resolve.h"
#include "axolotl/io/hub_sha256.h"
#include "test_hub_fake.h"
#include "test_support.h"

namespace axolotl::testing {
namespace fs = std::filesystem;
using namespace axolotl::io;

namespace {

std::string sha256_of(const std::string& s) {
  Sha256 h;
  h.update(s);
  return h.hex_digest();
}

int count_requests(const nlohmann::json& log, const std::string& needle, const std::string& method = "") {
  int n = 0;
  for (const auto& e : log) {
    if (e["path"].get<std::string>().find(needle) != std::string::npos &&
        (method.empty() || e["method"] == method)) {
      ++n;
    }
  }
  return n;
}

class HubDownload : public ::testing::Test {
 protected:
  void start(std::vector<FakeRepo> repos) {
    repos_ = repos;
    hub_ = std::make_unique<FakeHub>(repos, dir_.path());
    options_.env = test_env(hub_->endpoint(), cache_dir());
    options_.retry = fast_retry();
    options_.progress = false;
  }
  fs::path cache_dir() const { return dir_ / "hub"; }
  HubCache cache(const std::string& id = "org/tiny") const {
    return HubCache(cache_dir().string(), RepoType::kModel, id);
  }
  // Every selected file of the sharded repo is in the snapshot with the server's bytes.
  void expect_model_files(const DownloadResult& r) {
    FakeRepo repo = sharded_model_repo();
    EXPECT_EQ(r.commit, kCommit);
    EXPECT_EQ(r.folder, cache().snapshot_dir(kCommit));
    EXPECT_EQ(r.files.size(), 8u);
    for (const auto& f : r.files) {
      EXPECT_EQ(read_file(fs::path(r.folder) / f), repo.files.at(f)) << f;
    }
  }

  TempDir dir_;
  std::vector<FakeRepo> repos_;
  std::unique_ptr<FakeHub> hub_;
  DownloadOptions options_;
};

TEST_F(HubDownload, FetchesOnlyNeededFilesIntoPythonLayout) {
  start({sharded_model_repo()});
  options_.env->token = "hf_test";
  DownloadResult r = download_repo("org/tiny", "", {}, options_);
  expect_model_files(r);
  EXPECT_EQ(r.downloaded, 8);
  FakeRepo repo = sharded_model_repo();
  // LFS files are named by sha256, regular ones by the git blob sha1; links are relative.
  std::string shard = "model-00001-of-00002.safetensors";
  EXPECT_EQ(fs::read_symlink(fs::path(r.folder) / shard).string(),
            "../../blobs/" + sha256_of(repo.files[shard]));
  EXPECT_TRUE(fs::exists(cache().blob_path(sha256_of(repo.files[shard]))));
  EXPECT_EQ(fs::read_symlink(fs::path(r.folder) / "config.json").string().substr(0, 12), "../../blobs/");
  EXPECT_EQ(read_file(fs::path(cache().repo_dir()) / "refs" / "main"), kCommit);
  EXPECT_TRUE(fs::exists(cache_dir() / "CACHEDIR.TAG"));
  for (const auto& e : fs::directory_iterator(fs::path(cache().repo_dir()) / "blobs")) {
    EXPECT_EQ(e.path().string().find(".incomplete"), std::string::npos) << e.path();
  }
  nlohmann::json log = hub_->log();
  for (const char* never : {"pytorch_model.bin", "consolidated", "README", "original"}) {
    EXPECT_EQ(count_requests(log, never), 0) << never;
  }
  // The token goes to the Hub host, never to the CDN host the LFS redirects point at.
  int cdn = 0;
  for (const auto& e : log) {
    bool on_cdn = e["host"].get<std::string>().rfind("localhost:", 0) == 0;
    cdn += on_cdn;
    EXPECT_EQ(e["auth"], on_cdn ? "" : "Bearer hf_test") << e.dump();
  }
  EXPECT_EQ(cdn, 3);  // two shards and tokenizer.model
}

TEST_F(HubDownload, CompleteCacheCostsOneListingOnlineAndNothingOffline) {
  start({sharded_model_repo()});
  download_repo("org/tiny", "main", {}, options_);
  hub_->reset();
  DownloadResult again = download_repo("org/tiny", "main", {}, options_);
  expect_model_files(again);
  EXPECT_EQ(again.downloaded, 0);
  EXPECT_EQ(again.requests, 1);
  EXPECT_EQ(hub_->log().size(), 1u);

  // A commit-sha revision whose snapshot is complete needs no request at all.
  hub_->reset();
  EXPECT_EQ(download_repo("org/tiny", kCommit, {}, options_).requests, 0);
  EXPECT_EQ(hub_->log().size(), 0u);

  hub_->stop();
  options_.env->offline = true;
  DownloadResult offline = download_repo("org/tiny", "main", {}, options_);
  expect_model_files(offline);
  EXPECT_EQ(offline.requests, 0);
  // Online but unreachable: falls back to the cached snapshot.
  options_.env->offline = false;
  DownloadResult fallback = download_repo("org/tiny", "main", {}, options_);
  EXPECT_EQ(fallback.folder, offline.folder);
}

TEST_F(HubDownload, ReusesCacheWrittenByPythonWithoutNetwork) {
  // The layout huggingface_hub writes: blobs by etag, refs/main, relative symlinks (FORMATS.md §5.3).
  FakeRepo repo = sharded_model_repo();
  HubCache c = cache();
  std::vector<std::string> files = {"config.json", "generation_config.json", "model.safetensors.index.json",
                                    "tokenizer.json", "tokenizer.model", "tokenizer_config.json",
                                    "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"};
  for (const auto& f : files) {
    write_file(c.blob_path(sha256_of(repo.files[f])), repo.files[f]);
    c.link_snapshot(kCommit, f, sha256_of(repo.files[f]));
  }
  write_file(fs::path(c.repo_dir()) / "refs" / "main", kCommit);
  options_.env = test_env("http://127.0.0.1:9", cache_dir());  // nothing listens there
  options_.env->offline = true;
  DownloadResult r = download_repo("org/tiny", "main", {}, options_);
  expect_model_files(r);
  EXPECT_EQ(r.requests, 0);

  // Offline with a shard missing: the error names it.
  fs::remove(c.snapshot_file(kCommit, "model-00002-of-00002.safetensors"));
  try {
    download_repo("org/tiny", "main", {}, options_);
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("offline"), std::string::npos) << m;
    EXPECT_NE(m.find("model-00002-of-00002.safetensors"), std::string::npos) << m;
  }
  try {
    download_repo("org/other", "main", {}, options_);
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("not in the cache"), std::string::npos) << e.what();
  }
}

TEST_F(HubDownload, DroppedConnectionResumesWithRange) {
  start({sharded_model_repo()});
  hub_->fault("model-00001-of-00002.safetensors", "drop", 2);
  DownloadResult r = download_repo("org/tiny", "main", {}, options_);
  expect_model_files(r);
  nlohmann::json log = hub_->log();
  std::string cdn_path = "/cdn/" + sha256_of(sharded_model_repo().files["model-00001-of-00002.safetensors"]);
  std::vector<std::string> ranges;
  for (const auto& e : log) {
    if (e["path"] == cdn_path) ranges.push_back(e["range"]);
  }
  ASSERT_EQ(ranges.size(), 3u);
  EXPECT_EQ(ranges[0], "");
  EXPECT_EQ(ranges[1], "bytes=150000-");  // half of 300000 arrived before the drop
  EXPECT_EQ(ranges[2], "bytes=225000-");
}

TEST_F(HubDownload, ServerIgnoringRangeRestartsAndPartialFileIsResumed) {
  start({sharded_model_repo()});
  FakeRepo repo = sharded_model_repo();
  std::string shard = "model-00002-of-00002.safetensors";
  std::string etag = sha256_of(repo.files[shard]);
  // A partial file left by an earlier run (huggingface_hub's name): resumed from byte 1000.
  write_file(cache().blob_path(etag) + ".incomplete", repo.files[shard].substr(0, 1000));
  DownloadResult r = download_repo("org/tiny", "main", {}, options_);
  expect_model_files(r);
  EXPECT_EQ(count_requests(hub_->log(), etag), 1);
  EXPECT_EQ(hub_->log().back()["range"], "bytes=1000-");

  // The server answers 200 to the Range request: the file is restarted, still correct.
  fs::remove_all(cache_dir());
  write_file(cache().blob_path(etag) + ".incomplete", repo.files[shard].substr(0, 1000));
  hub_->fault(shard, "norange", 1);
  expect_model_files(download_repo("org/tiny", "main", {}, options_));
}

TEST_F(HubDownload, ChecksumMismatchDiscardsTheFile) {
  start({sharded_model_repo()});
  hub_->fault("model-00002-of-00002.safetensors", "corrupt", 1);
  try {
    download_repo("org/tiny", "main", {}, options_);
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("checksum mismatch"), std::string::npos) << m;
    EXPECT_NE(m.find("discarded"), std::string::npos) << m;
  }
  std::string etag = sha256_of(sharded_model_repo().files["model-00002-of-00002.safetensors"]);
  for (const auto& e : fs::directory_iterator(fs::path(cache().repo_dir()) / "blobs")) {
    EXPECT_EQ(e.path().filename().string().rfind(etag, 0), std::string::npos) << e.path();
  }
  EXPECT_FALSE(fs::exists(fs::path(cache().repo_dir()) / "refs" / "main"));
  expect_model_files(download_repo("org/tiny", "main", {}, options_));  // the next run succeeds
}

TEST_F(HubDownload, RetriesServerErrorsAndHonoursRetryAfter) {
  start({sharded_model_repo()});
  hub_->fault("__api__", "500", 2);
  hub_->fault("config.json", "500", 3);
  hub_->fault("tokenizer.model", "429", 1);
  auto t0 = std::chrono::steady_clock::now();
  expect_model_files(download_repo("org/tiny", "main", {}, options_));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GE(seconds, 0.9);  // Retry-After: 1
  EXPECT_LT(seconds, 20);
  EXPECT_EQ(count_requests(hub_->log(), "/api/models"), 3);

  // A server that keeps failing: bounded tries, then a clear error.
  fs::remove_all(cache_dir());
  hub_->reset();
  hub_->fault("tokenizer.json", "500", 100);
  try {
    download_repo("org/tiny", "main", {}, options_);
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("5 tries"), std::string::npos) << e.what();
  }
  EXPECT_EQ(count_requests(hub_->log(), "tokenizer.json", "GET"), 5);
}

TEST_F(HubDownload, GatedRepoNeedsTokenAndSaysHow) {
  FakeRepo repo = sharded_model_repo();
  repo.gated = true;
  start({repo});
  try {
    download_repo("org/tiny", "main", {}, options_);
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("gated"), std::string::npos) << m;
    EXPECT_NE(m.find("HF_TOKEN"), std::string::npos) << m;
    EXPECT_NE(m.find("huggingface-cli login"), std::string::npos) << m;
  }
  options_.env->token = "wrong";
  try {
    download_repo("org/tiny", "main", {}, options_);
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("token in use has no access"), std::string::npos) << e.what();
  }
  options_.env->token = "hf_test";
  expect_model_files(download_repo("org/tiny", "main", {}, options_));
}

TEST_F(HubDownload, NotFoundErrorsSayWhatIsMissing) {
  start({sharded_model_repo()});
  auto message = [&](const std::string& repo, const std::string& rev) {
    try {
      download_repo(repo, rev, {}, options_);
    } catch (const IoError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("org/nothing", "main").find("repo 'org/nothing' not found"), std::string::npos);
  EXPECT_NE(message("org/tiny", "v9").find("revision 'v9' not found"), std::string::npos);
  EXPECT_NE(message("org/tiny", "v9").find("RevisionNotFound"), std::string::npos);
  EXPECT_THROW(download_repo("not a repo", "main", {}, options_), UsageError);

  HubClient client(*options_.env, fast_retry(), false);
  try {
    client.file_metadata(cache(), RepoType::kModel, "org/tiny", "main", "missing.json");
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("file 'missing.json'"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(cache().known_missing(kCommit, "missing.json"));  // recorded in .no_exist

  FakeRepo pickles;
  pickles.id = "org/pickled";
  pickles.files = {{"config.json", "{}"}, {"pytorch_model.bin", "x"}};
  hub_.reset();
  start({pickles});
  std::string m = message("org/pickled", "main");
  EXPECT_NE(m.find("only pickled"), std::string::npos) << m;
}

TEST_F(HubDownload, NoNetworkNamesTheEndpoint) {
  options_.env = test_env("http://127.0.0.1:9", cache_dir());
  options_.retry = fast_retry();
  options_.retry.max_tries = 2;
  try {
    download_repo("org/tiny", "main", {}, options_);
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("cannot reach the Hub at http://127.0.0.1:9"), std::string::npos) << m;
    EXPECT_NE(m.find("HF_HUB_OFFLINE"), std::string::npos) << m;
  }
}

TEST_F(HubDownload, RelativeRedirectOfRenamedRepoIsFollowedOnHead) {
  FakeRepo repo = sharded_model_repo();
  repo.moved_from = "org/old-name";
  start({repo});
  HubClient client(*options_.env, fast_retry(), false);
  FileMetadata m = client.file_metadata(cache("org/old-name"), RepoType::kModel, "org/old-name", "main", "config.json");
  EXPECT_EQ(m.commit, kCommit);
  EXPECT_EQ(m.size, repo.files["config.json"].size());
  EXPECT_NE(m.download_url.find("/org/tiny/resolve/main/config.json"), std::string::npos) << m.download_url;
  FileMetadata lfs = client.file_metadata(cache(), RepoType::kModel, "org/tiny", "main", "tokenizer.model");
  EXPECT_EQ(lfs.etag, sha256_of(repo.files["tokenizer.model"]));
  EXPECT_EQ(lfs.download_url.rfind("http://localhost:", 0), 0u) << lfs.download_url;  // CDN not followed by HEAD
}

TEST_F(HubDownload, ResolverPrefersLocalPathsAndFetchesDatasetsAndAdapters) {
  FakeRepo data;
  data.type = "dataset";
  data.id = "org/alpaca";
  data.files = {{"data/train.jsonl", "{\"instruction\": \"hi\"}\n"}, {"README.md", "x"}};
  FakeRepo adapter;
  adapter.id = "org/lora";
  adapter.files = {{"adapter_config.json", "{}"}, {"adapter_model.safetensors", random_bytes(500, 5)}};
  start({data, adapter});
  EnvGuard env;
  env.set("HF_ENDPOINT", hub_->endpoint());
  env.set("HF_HUB_CACHE", cache_dir().string());
  env.unset("HF_HUB_OFFLINE");
  env.unset("TRANSFORMERS_OFFLINE");
  env.unset("HF_TOKEN");
  EXPECT_EQ(resolve_model_dir(dir_.path().string()), dir_.path().string());  // a local folder wins
  std::string ds = resolve_dataset_path("org/alpaca");
  EXPECT_EQ(read_file(fs::path(ds) / "data/train.jsonl"), data.files["data/train.jsonl"]);
  EXPECT_FALSE(fs::exists(fs::path(ds) / "README.md"));
  EXPECT_NE(ds.find("datasets--org--alpaca"), std::string::npos);
  std::string ad = resolve_adapter_dir("org/lora@main");
  EXPECT_EQ(read_file(fs::path(ad) / "adapter_model.safetensors"), adapter.files["adapter_model.safetensors"]);
  EXPECT_THROW(resolve_model_dir("./no/such/folder"), IoError);
}

}  // namespace
}  // namespace axolotl::testing
