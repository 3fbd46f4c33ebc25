// libcurl easy-interface wrapper: header capture, streamed bodies, error classification.
#include "axolotl/io/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <memory>
#include <mutex>

#include "axolotl/util/interrupt.h"

namespace axolotl::io {
namespace {

constexpr size_t kMaxErrorBody = 64 * 1024;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

struct Transfer {
  CURL* curl = nullptr;
  HttpResponse response;
  const BodySink* sink = nullptr;
  std::exception_ptr error;
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) {  // a new response (e.g. after 100 Continue): start over
    t->response.headers.clear();
    size_t sp = line.find(' ');
    t->response.status = sp == std::string::npos ? 0 : std::strtol(line.c_str() + sp + 1, nullptr, 10);
    return size * count;
  }
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    t->response.headers[lower(trim(line.substr(0, colon)))] = trim(line.substr(colon + 1));
  }
  return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  if (t->response.ok() && t->sink && *t->sink) {
    try {
      throw_if_interrupted("download");
      (*t->sink)(t->response, data, n);
    } catch (...) {
      t->error = std::current_exception();
      return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
    }
  } else if (t->response.ok() || t->response.body.size() < kMaxErrorBody) {
    t->response.body.append(data, t->response.ok() ? n : std::min(n, kMaxErrorBody - t->response.body.size()));
  }
  return n;
}

// Resets, timeouts and cut transfers are retried; "cannot resolve / connect" is not: without network the
// answer comes at once (and the caller may fall back to the cache) instead of after 15 s of backoff.
bool transient_curl_code(CURLcode code) {
  switch (code) {
    case CURLE_PARTIAL_FILE:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? std::string() : it->second;
}

HttpResponse http_send(const HttpRequest& request, const BodySink& sink) {
  global_init();
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) throw IoError("cannot initialise libcurl");
  Transfer t;
  t.curl = curl.get();
  t.sink = &sink;
  t.response.url = request.url;

  curl_slist* list = nullptr;
  for (const auto& h : request.headers) list = curl_slist_append(list, h.c_str());
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(list, &curl_slist_free_all);

  CURL* c = curl.get();
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "axolotl/" AXOLOTL_VERSION);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, request.connect_timeout_s);
  if (request.timeout_s > 0) curl_easy_setopt(c, CURLOPT_TIMEOUT, request.timeout_s);
  if (request.stall_timeout_s > 0) {
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, request.stall_timeout_s);
  }
  if (request.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (request.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);

  CURLcode code = curl_easy_perform(c);
  if (t.error) std::rethrow_exception(t.error);
  if (code != CURLE_OK) {
    std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(code);
    throw HttpTransportError(Diagnostic{{}, {}, request.method + " " + request.url + " failed: " + detail, {}, {}, {}},
                             static_cast<int>(code), transient_curl_code(code));
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status != 0) t.response.status = status;
  return t.response;
}

std::string url_netloc(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return {};
  size_t begin = scheme + 3;
  size_t end = url.find_first_of("/?#", begin);
  std::string netloc = url.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
  size_t at = netloc.rfind('@');
  if (at != std::string::npos) netloc = netloc.substr(at + 1);
  return lower(netloc);
}

std::string url_join(const std::string& base, const std::string& location) {
  std::unique_ptr<CURLU, void (*)(CURLU*)> u(curl_url(), &curl_url_cleanup);
  if (!u || curl_url_set(u.get(), CURLUPART_URL, base.c_str(), 0) != CURLUE_OK ||
      curl_url_set(u.get(), CURLUPART_URL, location.c_str(), 0) != CURLUE_OK) {
    throw IoError(Diagnostic{{}, {}, "cannot follow redirect", location, "a URL", "base was " + base});
  }
  char* out = nullptr;
  if (curl_url_get(u.get(), CURLUPART_URL, &out, 0) != CURLUE_OK) throw IoError("cannot follow redirect to " + location);
  std::string result(out);
  curl_free(out);
  return result;
}

std::string url_quote(const std::string& s, const std::string& safe) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~' || safe.find(ch) != std::string::npos) {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out;
}

}  // namespace axolotl::io
