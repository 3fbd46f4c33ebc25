// A small blocking HTTP(S) client over libcurl for the Hub: one request per call, redirects never
// followed here (the caller decides, FORMATS.md §5.2), 2xx bodies streamed to a sink.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "axolotl/util/error.h"

namespace axolotl::io {

struct HttpRequest {
  std::string method = "GET";        // "GET" or "HEAD"
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  long connect_timeout_s = 10;
  long timeout_s = 0;                // whole request; 0 = no limit (large downloads)
  long stall_timeout_s = 0;          // abort when no byte arrives for this long; 0 = off
};

struct HttpResponse {
  long status = 0;
  std::string url;                            // the URL that was requested
  std::map<std::string, std::string> headers;  // names lower-cased; the last value wins
  std::string body;                            // non-2xx bodies (first 64 KiB), or 2xx without a sink

  // The header's value, or "" when absent; `name` is matched case-insensitively.
  std::string header(const std::string& name) const;
  bool ok() const { return status >= 200 && status < 300; }
  bool redirect() const { return status >= 300 && status < 400; }
};

// A request that got no HTTP answer (refused, reset, timed out, cut short, TLS failure).
class HttpTransportError : public IoError {
 public:
  HttpTransportError(Diagnostic d, int curl_code, bool transient)
      : IoError(std::move(d)), curl_code_(curl_code), transient_(transient) {}
  int curl_code() const { return curl_code_; }
  bool transient() const { return transient_; }  // worth retrying (network hiccup, not a bad URL)

 private:
  int curl_code_;
  bool transient_;
};

// Receives the body of a 2xx response chunk by chunk; `head` has the status and headers already.
// May throw; the transfer is then aborted and the exception rethrown from http_send.
using BodySink = std::function<void(const HttpResponse& head, const char* data, size_t size)>;

// Performs one request. Throws HttpTransportError when no complete response arrived.
HttpResponse http_send(const HttpRequest& request, const BodySink& sink = {});

// "host[:port]" of an absolute URL ("" when the URL has no scheme), lower-cased.
std::string url_netloc(const std::string& url);
// `location` (absolute, or relative to `base`) made absolute.
std::string url_join(const std::string& base, const std::string& location);
// Percent-encodes everything except unreserved characters and those in `safe` (Python's quote()).
std::string url_quote(const std::string& s, const std::string& safe = "/");

}  // namespace axolotl::io
