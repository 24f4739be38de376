#!/usr/bin/env python3
"""A fake of the part of GitHub's REST API that slipway speaks, for
tests/integration/github.sh and github_pr.sh:
python3 github_fake.py TOKEN LOGFILE [REMOTES].

Listens on 127.0.0.1 (port 0) and prints its port.  Answers
  POST /repos/OWNER/NAME/statuses/SHA                  commit statuses
  GET  /repos/OWNER/NAME/pulls?head=OWNER:B&base=M&state=open
  GET  /repos/OWNER/NAME/pulls/N
  POST /repos/OWNER/NAME/pulls                         opens one (201)
  PUT  /repos/OWNER/NAME/pulls/N/merge                 merges it (200)
Pull requests are kept in memory; their branches are those of the bare
repository REMOTES/NAME.git (the test's remote), and a merge is made there
as GitHub makes it: a merge commit of the base and the head (git merge-tree
--write-tree, commit-tree, update-ref from the old base), refused with 409
when "sha" is not the head branch's commit now, with 405 when the two
conflict or the pull request is not open.

The repository's name picks its behaviour (the part before the first '-',
so that each test has counters of its own):
  ok         as GitHub does when all is well
  denied     403 without rate-limit headers: a missing permission
  limited    403 with x-ratelimit-remaining 0 and a reset an hour away
  reset      the same with a reset 2 s away, once, then ok
  slowdown   429 with retry-after 1 once, then ok
  flaky      500 once, then ok;  down  500 always
  invalid    422 with GitHub's message and errors (statuses)
  protected  405 on a merge: a review is required
  hostile    405 on a merge, whose message and pull request addresses
             carry terminal escapes
Any other name is 404.  A token other than TOKEN is 401.  It checks the
headers GitHub wants (Accept, X-GitHub-Api-Version, a slipway/ User-Agent,
a JSON Content-Type with a body) and answers 400 without them.  The log has
one line a request: method, path, token=good|bad, then the JSON body;
never a header's value."""
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TOKEN, LOG = sys.argv[1], sys.argv[2]
REMOTES = sys.argv[3] if len(sys.argv) > 3 else None
lock = threading.Lock()
hits = {}
pulls = {}  # repository name -> [pull request]
MODES = ("ok", "slowdown", "flaky", "reset", "protected", "hostile")
WEB = "https://github.invalid"


def git(name, *args):
    env = dict(os.environ, GIT_DIR=os.path.join(REMOTES, name + ".git"),
               GIT_COMMITTER_NAME="GitHub", GIT_COMMITTER_EMAIL="noreply@github.invalid",
               GIT_AUTHOR_NAME="GitHub", GIT_AUTHOR_EMAIL="noreply@github.invalid")
    p = subprocess.run(["git"] + list(args), env=env, capture_output=True, text=True)
    return p.returncode, p.stdout.strip()


def branch_sha(name, branch):
    rc, out = git(name, "rev-parse", "--verify", "-q", "refs/heads/" + branch)
    return out if rc == 0 else None


def pull_json(owner, name, pr):
    url = "%s/%s/%s/pull/%d" % (WEB, owner, name, pr["number"])
    if name.startswith("hostile-"):
        url += "\x1b]0;owned\x07\x1b[2J"
    repo = {"full_name": "%s/%s" % (owner, name)}
    return {"number": pr["number"], "state": pr["state"], "title": pr["title"], "body": pr["body"],
            "html_url": url, "merged": pr["state"] == "closed" and pr.get("merged", False),
            "head": {"ref": pr["head"], "sha": branch_sha(name, pr["head"]) or pr.get("last_head"),
                     "label": "%s:%s" % (owner, pr["head"]), "repo": repo},
            "base": {"ref": pr["base"], "sha": branch_sha(name, pr["base"]),
                     "label": "%s:%s" % (owner, pr["base"]), "repo": repo}}


def invalid(message=None, **error):
    body = {"message": "Validation Failed", "documentation_url": "https://docs.github.com/rest"}
    if message:
        error["message"] = message
    body["errors"] = [dict(resource="PullRequest", **error)]
    return 422, body


def list_pulls(owner, name, query):
    q = parse_qs(query)
    head, base = q.get("head", [None])[0], q.get("base", [None])[0]
    state = q.get("state", ["open"])[0]
    found = []
    for pr in pulls.get(name, []):
        # As GitHub: a head filter without "user:" is no filter at all.
        if head and ":" in head:
            h_owner, h_ref = head.split(":", 1)
            if h_owner.lower() != owner.lower() or h_ref != pr["head"]:
                continue
        if (base and pr["base"] != base) or (state != "all" and pr["state"] != state):
            continue
        found.append(pull_json(owner, name, pr))
    return 200, found


def find(name, number):
    for pr in pulls.get(name, []):
        if pr["number"] == number:
            return pr
    return None


def open_pull(owner, name, body):
    for key in ("title", "head", "base"):
        if not isinstance(body.get(key), str) or not body[key]:
            return invalid(field=key, code="missing_field")
    if len(body["title"]) > 256:
        return invalid(field="title", code="invalid")
    head = body["head"].split(":", 1)[-1]
    if branch_sha(name, head) is None:
        return invalid(field="head", code="invalid")
    if branch_sha(name, body["base"]) is None:
        return invalid(field="base", code="invalid")
    for pr in pulls.get(name, []):
        if pr["state"] == "open" and pr["head"] == head and pr["base"] == body["base"]:
            return invalid("A pull request already exists for %s:%s." % (owner, head), code="custom")
    rc, _ = git(name, "merge-base", "--is-ancestor", "refs/heads/" + head, "refs/heads/" + body["base"])
    if rc == 0:
        return invalid("No commits between %s and %s" % (body["base"], head), code="custom")
    pr = {"number": len(pulls.get(name, [])) + 1, "state": "open", "title": body["title"],
          "body": body.get("body"), "head": head, "base": body["base"]}
    pulls.setdefault(name, []).append(pr)
    return 201, pull_json(owner, name, pr)


def merge_pull(owner, name, number, body):
    pr = find(name, number)
    if not pr:
        return 404, {"message": "Not Found"}
    if name.startswith("protected-"):
        return 405, {"message": "At least 1 approving review is required by reviewers with write access."}
    if name.startswith("hostile-"):
        return 405, {"message": "Not mergeable\x1b[2J\x1b]0;owned\x07\x9b31m"}
    if pr["state"] != "open":
        return 405, {"message": "Pull Request is not mergeable"}
    if body.get("merge_method", "merge") != "merge":
        return 405, {"message": "Squash merges are not allowed on this repository."}
    head, base = branch_sha(name, pr["head"]), branch_sha(name, pr["base"])
    if body.get("sha") is not None and body["sha"] != head:
        return 409, {"message": "Head branch was modified. Review and try the merge again."}
    rc, tree = git(name, "merge-tree", "--write-tree", base, head)
    if rc != 0:
        return 405, {"message": "Pull Request is not mergeable"}
    title = body.get("commit_title") or "Merge pull request #%d from %s/%s" % (number, owner, pr["head"])
    message = title + "\n\n" + (body.get("commit_message") or pr["title"])
    rc, new = git(name, "commit-tree", tree.splitlines()[0], "-p", base, "-p", head, "-m", message)
    if rc != 0:
        return 500, {"message": "test fake: commit-tree failed"}
    rc, _ = git(name, "update-ref", "refs/heads/" + pr["base"], new, base)
    if rc != 0:
        return 405, {"message": "Base branch was modified. Review and try the merge again."}
    pr["state"], pr["merged"], pr["last_head"] = "closed", True, head
    return 200, {"sha": new, "merged": True, "message": "Pull Request successfully merged"}


def pulls_route(method, owner, name, parts, query, body):
    if REMOTES is None or not os.path.isdir(os.path.join(REMOTES, name + ".git")):
        return 404, {"message": "Not Found"}
    with lock:
        if method == "GET" and len(parts) == 4:
            return list_pulls(owner, name, query)
        if method == "POST" and len(parts) == 4:
            return open_pull(owner, name, body)
        if method == "GET" and len(parts) == 5 and parts[4].isdigit():
            pr = find(name, int(parts[4]))
            return (200, pull_json(owner, name, pr)) if pr else (404, {"message": "Not Found"})
        if method == "PUT" and len(parts) == 6 and parts[4].isdigit() and parts[5] == "merge":
            return merge_pull(owner, name, int(parts[4]), body)
    return 404, {"message": "Not Found"}


def status_route(name, body):
    if body.get("state") not in ("pending", "success", "failure", "error") or len(body.get("description", "")) > 140:
        return 422, {"message": "Validation Failed"}
    if name.split("-")[0] == "invalid":
        return 422, {"message": "Validation Failed",
                     "errors": [{"resource": "Status", "code": "custom",
                                 "message": "This SHA and context has reached the maximum number of statuses."}]}
    return 201, {"state": body["state"], "context": body.get("context"), "description": body.get("description")}


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

    def limits(self, mode, first):
        """The answer a mode gives before the endpoint is looked at, if any."""
        if mode == "denied":
            return 403, {"message": "Resource not accessible by personal access token"}, None
        if mode == "limited" or (mode == "reset" and first):
            ahead = 3600 if mode == "limited" else 2
            return 403, {"message": "API rate limit exceeded for user ID 1."}, {
                "x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": str(int(time.time()) + ahead)}
        if mode == "slowdown" and first:
            return 429, {"message": "You have exceeded a secondary rate limit."}, {"retry-after": "1"}
        if (mode == "flaky" and first) or mode == "down":
            return 500, {"message": "Server Error"}, None
        return None

    def handle_any(self):
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
                or not self.headers.get("User-Agent", "").startswith("slipway/")
                or (raw and self.headers.get("Content-Type") != "application/json")):
            return self.send(400, {"message": "test fake: GitHub's headers expected"})
        url = urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        if len(parts) < 4 or parts[0] != "repos":
            return self.send(404, {"message": "Not Found"})
        owner, name = parts[1], parts[2]
        mode = name.split("-")[0]
        with lock:
            hits[name] = hits.get(name, 0) + 1
            first = hits[name] == 1
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return self.send(400, {"message": "Problems parsing JSON"})
        early = self.limits(mode, first)
        if early:
            return self.send(early[0], early[1], early[2])
        if mode not in MODES and mode != "invalid":
            return self.send(404, {"message": "Not Found"})
        if self.command == "POST" and len(parts) == 5 and parts[3] == "statuses":
            return self.send(*status_route(name, body))
        if parts[3] == "pulls":
            return self.send(*pulls_route(self.command, owner, name, parts, url.query, body))
        self.send(404, {"message": "Not Found"})

    do_GET = do_POST = do_PUT = handle_any


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_port, flush=True)
server.serve_forever()
