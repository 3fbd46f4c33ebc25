// Hub requests (huggingface_hub file_download.py get_hf_file_metadata / http_get, hf_api.py model_info).
#include "axolotl/io/hub_client.h"

#include <nlohmann/json.hpp>

#include "axolotl/util/log.h"

namespace axolotl::io {

namespace {

std::string type_prefix(RepoType type) {
  return type == RepoType::kDataset ? "datasets/" : type == RepoType::kSpace ? "spaces/" : "";
}

bool is_relative_location(const std::string& location) {
  return location.find("://") == std::string::npos && location.rfind("//", 0) != 0;
}

uint64_t parse_size(const std::string& s) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) return UINT64_MAX;
  return std::stoull(s);
}

// The etag names a file in blobs/: only hex-like names are accepted.
bool is_safe_etag(const std::string& etag) {
  return !etag.empty() && etag.size() <= 128 && etag.find_first_not_of(
      "0123456789abcdefABCDEFghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ-_") == std::string::npos;
}

}  // namespace

HubClient::HubClient(HubEnv env, RetryPolicy retry, bool progress)
    : env_(std::move(env)), retry_(retry), progress_(progress) {}

std::string HubClient::resolve_url(RepoType type, const std::string& repo_id, const std::string& revision,
                                   const std::string& filename) const {
  return env_.endpoint + "/" + type_prefix(type) + repo_id + "/resolve/" + url_quote(revision, "") + "/" +
         url_quote(filename, "/");
}

HubTarget HubClient::target(RepoType type, const std::string& repo_id, const std::string& revision,
                            const std::string& filename) const {
  return HubTarget{type, repo_id, revision, filename, !env_.token.empty(), env_.endpoint};
}

std::vector<std::string> HubClient::auth_headers(const std::string& url) const {
  // The token goes only to the Hub itself, never to a CDN or other host a redirect points at.
  if (env_.token.empty() || url_netloc(url) != url_netloc(env_.endpoint)) return {};
  return {"Authorization: Bearer " + env_.token};
}

HttpResponse HubClient::send(const HttpRequest& request, const HubTarget& t) {
  for (int attempt = 1;; ++attempt) {
    HttpResponse r;
    try {
      ++requests_;
      r = http_send(request);
    } catch (const HttpTransportError& e) {
      if (!e.transient() || attempt >= retry_.max_tries) throw_hub_network_error(e, t, attempt);
      long delay = retry_delay_ms(retry_, attempt);
      log::warn("hub", "{} (try {}/{}), retrying in {} ms", e.diagnostic().message, attempt, retry_.max_tries, delay);
      sleep_for_ms(delay);
      continue;
    }
    if (!is_transient_status(r.status) || attempt >= retry_.max_tries) return r;
    long delay = retry_delay_ms(retry_, attempt, r.header("Retry-After"));
    log::warn("hub", "HTTP {} from {} (try {}/{}), retrying in {} ms", r.status, request.url, attempt,
              retry_.max_tries, delay);
    sleep_for_ms(delay);
  }
}

RepoListing HubClient::list_repo(RepoType type, const std::string& repo_id, const std::string& revision) {
  HubTarget t = target(type, repo_id, revision, {});
  HttpRequest req;
  req.url = env_.endpoint + "/api/" + repo_type_name(type) + "s/" + repo_id + "/revision/" + url_quote(revision, "");
  req.headers = auth_headers(req.url);
  req.connect_timeout_s = env_.etag_timeout_s;
  req.timeout_s = 6 * env_.etag_timeout_s;
  HttpResponse r = send(req, t);
  if (!r.ok()) throw_hub_http_error(r, t, retry_.max_tries);
  RepoListing listing;
  try {
    auto j = nlohmann::json::parse(r.body);
    listing.commit = j.at("sha").get<std::string>();
    for (const auto& s : j.at("siblings")) listing.files.push_back(s.at("rfilename").get<std::string>());
  } catch (const nlohmann::json::exception& e) {
    throw IoError(Diagnostic{{}, repo_id, "malformed repo listing from " + req.url, e.what(),
                             "JSON with \"sha\" and \"siblings\"", "is HF_ENDPOINT a Hugging Face Hub?"});
  }
  if (!is_commit_sha(listing.commit)) {
    throw IoError(Diagnostic{{}, repo_id, "repo listing has no valid commit", listing.commit, "40 hex digits", {}});
  }
  for (const auto& f : listing.files) check_repo_path(f, repo_id);
  return listing;
}

FileMetadata HubClient::file_metadata(const HubCache& cache, RepoType type, const std::string& repo_id,
                                      const std::string& revision, const std::string& filename) {
  HubTarget t = target(type, repo_id, revision, filename);
  std::string url = resolve_url(type, repo_id, revision, filename);
  HttpResponse r;
  for (int hop = 0;; ++hop) {
    HttpRequest req;
    req.method = "HEAD";
    req.url = url;
    req.headers = auth_headers(url);
    req.headers.push_back("Accept-Encoding: identity");
    req.connect_timeout_s = env_.etag_timeout_s;
    req.timeout_s = env_.etag_timeout_s;
    r = send(req, t);
    std::string location = r.header("Location");
    if (!r.redirect() || location.empty() || !is_relative_location(location) || hop >= 10) break;
    url = url_join(url, location);  // same host (e.g. a renamed repo): follow
  }
  if (!r.ok() && !r.redirect()) {
    std::string commit = r.header("X-Repo-Commit");
    if (r.header("X-Error-Code") == "EntryNotFound" && is_commit_sha(commit)) cache.mark_missing(commit, filename);
    throw_hub_http_error(r, t, retry_.max_tries);
  }
  FileMetadata m;
  m.commit = r.header("X-Repo-Commit");
  std::string etag = r.header("X-Linked-Etag");
  m.etag = normalize_etag(etag.empty() ? r.header("ETag") : etag);
  std::string size = r.header("X-Linked-Size");
  m.size = parse_size(!size.empty() ? size : r.redirect() ? std::string() : r.header("Content-Length"));
  m.download_url = r.redirect() ? url_join(url, r.header("Location")) : url;
  std::string problem = !is_commit_sha(m.commit)                           ? "no X-Repo-Commit header"
                        : !is_safe_etag(m.etag)                            ? "no usable ETag header"
                        : m.size == UINT64_MAX                              ? "no file size header"
                                                                            : "";
  if (!problem.empty()) {
    throw IoError(Diagnostic{{}, filename, "cannot download from " + url + ": " + problem, {}, {},
                             "is HF_ENDPOINT (" + env_.endpoint + ") a Hugging Face Hub?"});
  }
  return m;
}

}  // namespace axolotl::io
