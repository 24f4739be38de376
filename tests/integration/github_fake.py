#!/usr/bin/env python3
"""A fake of GitHub's commit statuses endpoint, for
tests/integration/github.sh: python3 github_fake.py TOKEN LOGFILE.

Listens on 127.0.0.1 (port 0) and prints its port.  Answers
POST /repos/OWNER/NAME/statuses/SHA; the repository's name picks its
behaviour (the part before the first '-', so that each test has counters
of its own):
  ok         201
  denied     403 without rate-limit headers: a missing permission
  limited    403 with x-ratelimit-remaining 0 and a reset an hour away
  slowdown   429 with retry-after 1 once, then ok
  flaky      500 once, then ok;  down  500 always
  invalid    422 with GitHub's message and errors
Any other name is 404.  A token other than TOKEN is 401.  It checks the
headers GitHub wants (Accept, X-GitHub-Api-Version, a slipway/ User-Agent)
and answers 400 without them.  The log has one line a request: method,
path, token=good|bad, then the JSON body; never a header's value."""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN, LOG = sys.argv[1], sys.argv[2]
lock = threading.Lock()
hits = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send(self, code, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n)
        good = self.headers.get("Authorization", "") == "Bearer " + TOKEN
        with open(LOG, "a") as f:
            f.write("%s %s token=%s %s\n" % (self.command, self.path, "good" if good else "bad",
                                             raw.decode("utf-8", "replace")))
        if not good:
            return self.send(401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"})
        if (self.headers.get("Accept") != "application/vnd.github+json"
                or self.headers.get("X-GitHub-Api-Version") != "2022-11-28"
                or not self.headers.get("User-Agent", "").startswith("slipway/")):
            return self.send(400, {"message": "test fake: GitHub's headers expected"})
        parts = self.path.strip("/").split("/")
        if len(parts) != 5 or parts[0] != "repos" or parts[3] != "statuses":
            return self.send(404, {"message": "Not Found"})
        name = parts[2]
        mode = name.split("-")[0]
        with lock:
            hits[name] = hits.get(name, 0) + 1
            first = hits[name] == 1
        try:
            body = json.loads(raw)
        except ValueError:
            return self.send(400, {"message": "Problems parsing JSON"})
        if body.get("state") not in ("pending", "success", "failure", "error") or len(body.get("description", "")) > 140:
            return self.send(422, {"message": "Validation Failed"})
        if mode == "denied":
            return self.send(403, {"message": "Resource not accessible by personal access token"})
        if mode == "limited":
            return self.send(403, {"message": "API rate limit exceeded for user ID 1."},
                             {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0",
                              "x-ratelimit-reset": str(int(time.time()) + 3600)})
        if mode == "slowdown" and first:
            return self.send(429, {"message": "You have exceeded a secondary rate limit."}, {"retry-after": "1"})
        if (mode == "flaky" and first) or mode == "down":
            return self.send(500, {"message": "Server Error"})
        if mode == "invalid":
            return self.send(422, {"message": "Validation Failed",
                                   "errors": [{"resource": "Status", "code": "custom",
                                               "message": "This SHA and context has reached the maximum number of statuses."}]})
        if mode not in ("ok", "slowdown", "flaky"):
            return self.send(404, {"message": "Not Found"})
        self.send(201, {"state": body["state"], "context": body.get("context"),
                        "description": body.get("description")})


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_port, flush=True)
server.serve_forever()
