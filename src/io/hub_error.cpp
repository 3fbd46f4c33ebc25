// Error messages of the Hub client; the codes are those huggingface_hub's hf_raise_for_status reads.
#include "axolotl/io/hub_error.h"

#include "axolotl/io/http_retry.h"

namespace axolotl::io {
namespace {

std::string repo_label(const HubTarget& t) { return std::string(repo_type_name(t.type)) + " repo '" + t.repo_id + "'"; }

std::string repo_page(const HubTarget& t) {
  std::string prefix = t.type == RepoType::kDataset ? "datasets/" : t.type == RepoType::kSpace ? "spaces/" : "";
  return t.endpoint + "/" + prefix + t.repo_id;
}

std::string token_hint(const HubTarget& t) {
  if (t.has_token) {
    return "the token in use has no access: request access on " + repo_page(t) +
           " with the account that owns the token, or use another token (HF_TOKEN)";
  }
  return "if it is gated or private, accept its terms on " + repo_page(t) +
         " and provide a token: set HF_TOKEN=hf_... or run `huggingface-cli login`";
}

std::string server_message(const HttpResponse& r) {
  std::string m = r.header("X-Error-Message");
  if (!m.empty()) return m;
  std::string body = r.body.substr(0, 200);
  for (char& c : body) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return body;
}

}  // namespace

void throw_hub_http_error(const HttpResponse& r, const HubTarget& t, int tries) {
  std::string code = r.header("X-Error-Code");
  std::string found = "HTTP " + std::to_string(r.status) + (code.empty() ? "" : " " + code);
  std::string where = t.filename.empty() ? repo_label(t) : "'" + t.filename + "' in " + repo_label(t);
  Diagnostic d{{}, t.repo_id, {}, found, {}, {}};
  if (server_message(r) == "Access to this resource is disabled.") {
    d.message = repo_label(t) + " is disabled on the Hub";
    d.hint = "its owner or the Hub has disabled it; use another repo";
  } else if (code == "GatedRepo" || ((r.status == 401 || r.status == 403) && code.empty() && t.has_token)) {
    d.message = repo_label(t) + " is gated or private: access denied";
    d.hint = token_hint(t);
  } else if (code == "RepoNotFound" || (r.status == 401 && code.empty())) {
    d.message = repo_label(t) + " not found (or private or gated)";
    d.hint = "check the name and --repo-type (model or dataset); " + token_hint(t);
  } else if (code == "RevisionNotFound") {
    d.message = "revision '" + t.revision + "' not found in " + repo_label(t);
    d.hint = "check the branch, tag or commit name (default: main)";
  } else if (code == "EntryNotFound" || (r.status == 404 && !t.filename.empty())) {
    d.message = "file " + where + " not found at revision '" + t.revision + "'";
    d.hint = "list the repo's files on " + repo_page(t);
  } else if (r.status == 401 || r.status == 403) {
    d.message = "access denied to " + where;
    d.hint = token_hint(t);
  } else if (r.status == 404) {
    d.message = where + " not found";
    d.hint = "check the name, revision and --repo-type";
  } else if (is_transient_status(r.status)) {
    d.message = "the Hub at " + t.endpoint + " failed for " + where + " after " + std::to_string(tries) + " tries";
    d.hint = "try again later; HF_HUB_OFFLINE=1 uses only files already in the cache";
  } else {
    d.message = "unexpected answer from the Hub for " + where;
    d.hint = {};
  }
  std::string detail = server_message(r);
  if (!detail.empty()) d.found += " \"" + detail + "\"";
  if (is_transient_status(r.status)) throw HubUnreachableError(d);
  throw IoError(d);
}

void throw_hub_network_error(const HttpTransportError& e, const HubTarget& t, int tries) {
  Diagnostic d{{}, t.repo_id, "cannot reach the Hub at " + t.endpoint + " (" + std::to_string(tries) + " tries)",
               e.diagnostic().message, {}, {}};
  d.hint = "check the network, proxy settings and HF_ENDPOINT; HF_HUB_OFFLINE=1 uses only files already in the cache";
  throw HubUnreachableError(d);
}

}  // namespace axolotl::io
