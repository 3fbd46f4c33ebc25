#!/usr/bin/env python3
"""A fake Hugging Face Hub for the hub tests: 127.0.0.1 only, stdlib only, never the internet.

Usage: hub_server.py SPEC.json [--lifetime SECONDS]. Prints "PORT <n>" on stdout once listening.
SPEC: {"token": "hf_x", "cdn_host": "localhost",
       "repos": {"model/org/name": {"commit": "<40 hex>", "refs": {"main": "<40 hex>"}, "gated": false,
                                     "moved_from": "org/old", "files": {"path/in/repo": "/local/source/file"}}}}
Endpoints (as FORMATS.md §5): GET /api/{models|datasets}/{repo}/revision/{rev}; HEAD/GET
/[datasets/]{repo}/resolve/{rev}/{path} (LFS files: 302 to http://{cdn_host}:{port}/cdn/{sha256});
GET /cdn/{sha256} with Range. Control: /_log (JSON list of requests), /_reset, /_fault?file=F&kind=K&count=N
with K in drop (cut the body half way), 500, 429 (Retry-After: 1), corrupt (flipped bytes), norange
(ignore Range); file "__api__" targets the listing endpoint. The server exits when its parent dies.
"""
import hashlib
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LFS_SUFFIXES = (".safetensors", ".bin", ".model", ".pth")


class Hub:
    def __init__(self, spec):
        self.token = spec.get("token", "")
        self.cdn_host = spec.get("cdn_host", "localhost")
        self.repos = {}      # (type, repo_id) -> repo dict
        self.aliases = {}    # (type, old_id) -> new_id
        self.blobs = {}      # sha256 -> bytes
        for key, repo in spec["repos"].items():
            rtype, repo_id = key.split("/", 1)
            files = {}
            for path, source in repo["files"].items():
                with open(source, "rb") as f:
                    data = f.read()
                sha256 = hashlib.sha256(data).hexdigest()
                sha1 = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
                files[path] = {"data": data, "sha256": sha256, "sha1": sha1, "lfs": path.endswith(LFS_SUFFIXES)}
                self.blobs[sha256] = (path, data)
            refs = dict(repo.get("refs", {"main": repo["commit"]}))
            self.repos[(rtype, repo_id)] = {"commit": repo["commit"], "refs": refs, "files": files,
                                            "gated": repo.get("gated", False)}
            if repo.get("moved_from"):
                self.aliases[(rtype, repo["moved_from"])] = repo_id
        self.lock = threading.Lock()
        self.log = []
        self.faults = {}     # file -> [kind, count]

    def take_fault(self, name):
        with self.lock:
            fault = self.faults.get(name)
            if not fault or fault[1] <= 0:
                return None
            fault[1] -= 1
            return fault[0]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hub = None

    def log_message(self, *args):
        pass

    # --- helpers -------------------------------------------------------------------------------
    def reply(self, status, headers=None, body=b"", head=False):
        self.send_response(status)
        headers = dict(headers or {})
        headers.setdefault("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Connection", "close")
        self.end_headers()
        if not head and body:
            self.wfile.write(body)
        self.close_connection = True

    def error(self, status, code, message, extra=None, head=False):
        headers = {"X-Error-Message": message, "Content-Type": "application/json"}
        if code:
            headers["X-Error-Code"] = code
        headers.update(extra or {})
        self.reply(status, headers, json.dumps({"error": message}).encode(), head)

    def record(self):
        if self.path.startswith("/_"):
            return
        with self.hub.lock:
            self.hub.log.append({"method": self.command, "path": self.path,
                                 "host": self.headers.get("Host", ""),
                                 "auth": self.headers.get("Authorization", ""),
                                 "range": self.headers.get("Range", "")})

    def authorized(self, repo):
        return not repo["gated"] or self.headers.get("Authorization", "") == "Bearer " + self.hub.token

    def find_repo(self, rtype, repo_id, head=False):
        repo = self.hub.repos.get((rtype, repo_id))
        if repo is None:
            self.error(404, "RepoNotFound", "Repository Not Found for url: " + self.path, head=head)
            return None
        if not self.authorized(repo):
            self.error(401, "GatedRepo", "Access to model %s is restricted. You must have access to it and be "
                       "authenticated to access it. Please log in." % repo_id, head=head)
            return None
        return repo

    def find_commit(self, repo, rev, head=False):
        if rev == repo["commit"]:
            return rev
        commit = repo["refs"].get(rev)
        if commit is None:
            self.error(404, "RevisionNotFound", "Invalid rev id: " + rev, head=head)
        return commit

    def send_content(self, name, data, head):
        fault = None if head else self.hub.take_fault(name)
        if fault == "500":
            return self.error(500, "", "Internal Error")
        if fault == "429":
            return self.error(429, "", "Too Many Requests", {"Retry-After": "1"})
        if fault == "corrupt":
            data = bytes(b ^ 0xFF for b in data)
        start = 0
        rng = self.headers.get("Range", "")
        if rng.startswith("bytes=") and fault != "norange":
            start = int(rng[len("bytes="):].split("-")[0])
            if start >= len(data):
                return self.reply(416, {"Content-Range": "bytes */%d" % len(data)})
        body = data[start:]
        headers = {"Content-Length": str(len(body)), "Accept-Ranges": "bytes",
                   "Content-Type": "application/octet-stream"}
        status = 200
        if start > 0:
            status = 206
            headers["Content-Range"] = "bytes %d-%d/%d" % (start, len(data) - 1, len(data))
        if fault == "drop":  # promise every byte, send half, hang up
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.reply(status, headers, body, head)

    # --- endpoints -----------------------------------------------------------------------------
    def do_HEAD(self):
        self.record()
        self.route(head=True)

    def do_GET(self):
        self.record()
        self.route(head=False)

    def route(self, head):
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.split("/")[1:]
        query = urllib.parse.parse_qs(url.query)
        if parts[0] == "_log":
            with self.hub.lock:
                return self.reply(200, {"Content-Type": "application/json"}, json.dumps(self.hub.log).encode())
        if parts[0] == "_reset":
            with self.hub.lock:
                self.hub.log.clear()
                self.hub.faults.clear()
            return self.reply(200)
        if parts[0] == "_fault":
            with self.hub.lock:
                self.hub.faults[query["file"][0]] = [query["kind"][0], int(query.get("count", ["1"])[0])]
            return self.reply(200)
        if parts[0] == "api" and len(parts) >= 6 and parts[4] == "revision":
            return self.api(parts, head)
        if parts[0] == "cdn" and len(parts) == 2:
            blob = self.hub.blobs.get(parts[1])
            if blob is None:
                return self.error(404, "", "no such blob", head=head)
            return self.send_content(blob[0], blob[1], head)
        rtype = "model"
        if parts[0] == "datasets":
            rtype, parts = "dataset", parts[1:]
        if len(parts) >= 5 and parts[2] == "resolve":
            return self.resolve(rtype, parts, head)
        self.error(404, "", "unknown endpoint " + self.path, head=head)

    def api(self, parts, head):
        if self.hub.take_fault("__api__") == "500":
            return self.error(500, "", "Internal Error", head=head)
        rtype = {"models": "model", "datasets": "dataset"}.get(parts[1], "")
        repo_id = parts[2] + "/" + parts[3]
        repo = self.find_repo(rtype, repo_id, head)
        if repo is None:
            return
        commit = self.find_commit(repo, urllib.parse.unquote("/".join(parts[5:])), head)
        if commit is None:
            return
        info = {"id": repo_id, "sha": commit, "siblings": [{"rfilename": f} for f in sorted(repo["files"])]}
        self.reply(200, {"Content-Type": "application/json"}, json.dumps(info).encode(), head)

    def resolve(self, rtype, parts, head):
        repo_id = parts[0] + "/" + parts[1]
        rest = "/".join(parts[2:])
        if (rtype, repo_id) in self.hub.aliases:  # renamed repo: relative redirect, as the Hub does
            prefix = "/datasets/" if rtype == "dataset" else "/"
            new_id = self.hub.aliases[(rtype, repo_id)]
            return self.reply(307, {"Location": prefix + new_id + "/" + rest}, head=head)
        repo = self.find_repo(rtype, repo_id, head)
        if repo is None:
            return
        rev = urllib.parse.unquote(parts[3])
        commit = self.find_commit(repo, rev, head)
        if commit is None:
            return
        path = urllib.parse.unquote("/".join(parts[4:]))
        entry = repo["files"].get(path)
        if entry is None:
            return self.error(404, "EntryNotFound", "Entry not found", {"X-Repo-Commit": commit}, head)
        if entry["lfs"]:
            port = self.server.server_address[1]
            location = "http://%s:%d/cdn/%s" % (self.hub.cdn_host, port, entry["sha256"])
            return self.reply(302, {"Location": location, "X-Repo-Commit": commit,
                                    "X-Linked-Etag": '"%s"' % entry["sha256"],
                                    "X-Linked-Size": str(len(entry["data"])),
                                    "ETag": '"%s"' % entry["sha1"]}, head=head)
        if head:
            return self.reply(200, {"X-Repo-Commit": commit, "ETag": 'W/"%s"' % entry["sha1"],
                                    "Content-Length": str(len(entry["data"]))}, head=True)
        self.send_content(path, entry["data"], head)


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    lifetime = 300.0
    if "--lifetime" in sys.argv:
        lifetime = float(sys.argv[sys.argv.index("--lifetime") + 1])
    Handler.hub = Hub(spec)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    parent = os.getppid()

    def watchdog():
        deadline = time.time() + lifetime
        while time.time() < deadline and os.getppid() == parent:
            time.sleep(0.2)
        os._exit(0)

    threading.Thread(target=watchdog, daemon=True).start()
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
