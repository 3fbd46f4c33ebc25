// Blob download of HubClient: stream into blobs/<etag>.<8 hex>.incomplete, resume with Range after a
// transient failure (or from a partial file left by an earlier run), check, then rename into blobs/.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>

#include "axolotl/io/hub_client.h"
#include "axolotl/io/hub_progress.h"
#include "axolotl/io/hub_sha256.h"
#include "axolotl/util/log.h"

namespace axolotl::io {
namespace fs = std::filesystem;

namespace {

IoError file_error(const std::string& what, const std::string& path) {
  return IoError(Diagnostic{{path}, {}, what + ": " + std::strerror(errno), {}, {},
                            "check permissions and free space of the Hub cache (HF_HUB_CACHE / HF_HOME)"});
}

// An open descriptor closed on scope exit.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

// A partial download left for this etag (huggingface_hub's "<etag>.incomplete" or our "<etag>.<hex>.incomplete").
std::string find_incomplete(const std::string& blob) {
  fs::path dir = fs::path(blob).parent_path();
  std::string prefix = fs::path(blob).filename().string() + ".";
  std::string best;
  uintmax_t best_size = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) != 0 || name.size() < 11 || name.compare(name.size() - 11, 11, ".incomplete") != 0) {
      continue;
    }
    uintmax_t size = fs::file_size(it->path(), ec);
    if (!ec && (best.empty() || size > best_size)) {
      best = it->path().string();
      best_size = size;
    }
  }
  if (!best.empty()) return best;
  std::mt19937 rng{std::random_device{}()};
  char hex[9];
  std::snprintf(hex, sizeof(hex), "%08x", static_cast<unsigned>(rng()));
  return blob + "." + hex + ".incomplete";
}

void write_all(int fd, const char* data, size_t size, const std::string& path) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw file_error("cannot write download", path);
    data += n;
    size -= static_cast<size_t>(n);
  }
}

// The start offset of "bytes START-END/TOTAL".
uint64_t content_range_start(const std::string& value) {
  size_t sp = value.find(' ');
  if (sp == std::string::npos) return UINT64_MAX;
  return std::strtoull(value.c_str() + sp + 1, nullptr, 10);
}

}  // namespace

void HubClient::fetch_blob(const HubCache& cache, const FileMetadata& meta, const HubTarget& t) {
  std::string blob = cache.blob_path(meta.etag);
  std::error_code ec;
  if (fs::exists(blob, ec)) return;
  fs::create_directories(fs::path(blob).parent_path(), ec);
  fs::create_directories(fs::path(cache.lock_path(meta.etag)).parent_path(), ec);
  Fd lock(open(cache.lock_path(meta.etag).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (lock.fd < 0) throw file_error("cannot create lock file", cache.lock_path(meta.etag));
  while (flock(lock.fd, LOCK_EX) != 0 && errno == EINTR) {
  }
  if (fs::exists(blob, ec)) return;  // another process finished it while we waited

  const bool check_sha = meta.etag.size() == 64 && is_commit_sha(meta.etag.substr(0, 40)) &&
                         is_commit_sha(meta.etag.substr(24));  // 64 lower-case hex: the sha256 (LFS)
  std::string part = find_incomplete(blob);
  Fd out(open(part.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (out.fd < 0) throw file_error("cannot create download file", part);
  uint64_t offset = fs::file_size(part, ec);
  if (ec || offset > meta.size) {
    if (ftruncate(out.fd, 0) != 0) throw file_error("cannot truncate", part);
    offset = 0;
  }
  Sha256 hasher;
  if (check_sha && offset > 0) {  // hash the bytes already there, so the check covers the whole file
    std::unique_ptr<FILE, int (*)(FILE*)> in(std::fopen(part.c_str(), "rb"), &std::fclose);
    if (!in) throw file_error("cannot read partial download", part);
    std::unique_ptr<char[]> buf(new char[1 << 20]);
    size_t n;
    while ((n = std::fread(buf.get(), 1, 1 << 20, in.get())) > 0) hasher.update(buf.get(), n);
  }
  if (offset > 0) log::info("hub", "resuming {} at {}", t.filename, format_bytes(static_cast<double>(offset)));
  DownloadProgress progress(t.filename, meta.size, offset, progress_);

  std::string url = meta.download_url;
  int failures = 0;
  int hops = 0;
  bool complete = meta.size > 0 && offset == meta.size;  // an earlier run got every byte already
  while (!complete) {
    HttpRequest req;
    req.url = url;
    req.headers = auth_headers(url);
    if (offset > 0) req.headers.push_back("Range: bytes=" + std::to_string(offset) + "-");
    req.connect_timeout_s = env_.download_timeout_s;
    req.stall_timeout_s = env_.download_timeout_s;
    const uint64_t requested = offset;
    bool checked_start = false;
    auto sink = [&](const HttpResponse& head, const char* data, size_t size) {
      if (!checked_start) {
        checked_start = true;
        bool resumed = head.status == 206 && content_range_start(head.header("Content-Range")) == requested;
        if (requested > 0 && !resumed) {  // the server sent the whole file: start over
          log::info("hub", "{}: server ignored the Range request, restarting", t.filename);
          if (ftruncate(out.fd, 0) != 0) throw file_error("cannot truncate", part);
          offset = 0;
          hasher = Sha256();
          progress.restart(0);
        }
      }
      if (offset + size > meta.size) {
        throw IoError(Diagnostic{{}, t.filename, "download is larger than announced", "more than " +
                                 std::to_string(meta.size) + " bytes", std::to_string(meta.size) + " bytes", {}});
      }
      write_all(out.fd, data, size, part);
      if (check_sha) hasher.update(data, size);
      offset += size;
      progress.add(size);
    };
    HttpResponse r;
    std::string problem;
    try {
      ++requests_;
      r = http_send(req, sink);
    } catch (const HttpTransportError& e) {
      if (!e.transient()) throw_hub_network_error(e, t, failures + 1);
      problem = e.diagnostic().message;
    }
    if (problem.empty() && r.redirect()) {
      if (++hops > 10) throw IoError(Diagnostic{{}, t.filename, "too many redirects", url, {}, {}});
      url = url_join(url, r.header("Location"));  // auth_headers() drops the token if the host changes
      continue;
    }
    if (problem.empty() && r.status == 416) {  // range not satisfiable: the partial file is stale
      if (ftruncate(out.fd, 0) != 0) throw file_error("cannot truncate", part);
      offset = 0;
      hasher = Sha256();
      progress.restart(0);
      problem = "HTTP 416";
    } else if (problem.empty() && !r.ok()) {
      if (!is_transient_status(r.status) || failures + 1 >= retry_.max_tries) {
        throw_hub_http_error(r, t, failures + 1);
      }
      problem = "HTTP " + std::to_string(r.status);
    } else if (problem.empty() && offset < meta.size) {
      problem = "connection closed early at " + std::to_string(offset) + " of " + std::to_string(meta.size) + " bytes";
    }
    if (problem.empty()) {
      complete = true;
      break;
    }
    if (++failures >= retry_.max_tries) {
      throw HubUnreachableError(Diagnostic{{}, t.filename, "download failed after " + std::to_string(failures) +
                                           " tries: " + problem, {}, {},
                                           "run the command again to resume from the partial file " + part});
    }
    long delay = retry_delay_ms(retry_, failures, r.header("Retry-After"));
    log::warn("hub", "{}: {} (try {}/{}), resuming in {} ms", t.filename, problem, failures, retry_.max_tries, delay);
    sleep_for_ms(delay);
  }
  if (fsync(out.fd) != 0) throw file_error("cannot flush download", part);

  uint64_t on_disk = fs::file_size(part, ec);
  if (ec || on_disk != meta.size) {
    fs::remove(part, ec);
    throw IoError(Diagnostic{{}, t.filename, "downloaded size does not match (file discarded)",
                             std::to_string(on_disk) + " bytes", std::to_string(meta.size) + " bytes",
                             "run the command again"});
  }
  if (check_sha) {
    std::string digest = hasher.hex_digest();
    if (digest != meta.etag) {
      fs::remove(part, ec);
      throw IoError(Diagnostic{{}, t.filename, "checksum mismatch: the downloaded file is corrupt (file discarded)",
                               "sha256 " + digest, "sha256 " + meta.etag,
                               "run the command again; if it persists a proxy or mirror (HF_ENDPOINT) alters files"});
    }
  }
  fs::rename(part, blob, ec);
  if (ec) throw IoError(Diagnostic{{blob}, {}, "cannot move download into the cache: " + ec.message(), {}, {}, {}});
  progress.finish();
}

}  // namespace axolotl::io
