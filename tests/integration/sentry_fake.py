#!/usr/bin/env python3
"""A fake of the part of Sentry's Web API that slipway speaks, for
tests/integration/sentry.sh: python3 sentry_fake.py TOKEN LOGFILE.

Listens on 127.0.0.1 (port 0) and prints its port.  One organization,
"acme"; the project's name picks its behaviour (the part before the
first '-', so that each test has counters of its own):
  web        250 issues, three pages; count as a string; one title with
             escape sequences, one 10 KB long; one issue without culprit
  big        10,000 issues
  rl         429 with X-Sentry-Rate-Limit-Reset once, then web's answer
  ra         429 with Retry-After once, then web's
  rlforever  429 with a reset two minutes away, always
  flaky      500 once, then web's;  down  500 always
  slow       answers after 3 s
  gated      web's, but pages after the first wait (30 s at most) until the
             file LOGFILE.PROJECT.gate exists: what shows before the last page
  badjson    a body that is not JSON;  nofield  an issue without "title"
  forbidden  403
  rel        web's, but first seen at different times (for regressions and
             release notes): issues 1-5 on 2026-11-26, 9-10 on 2026-11-23,
             the rest on 2026-11-20; 6-8 resolved, last seen 2026-11-24, 11
             resolved, last seen 2026-11-21; ids 2001-2250, not 1001-1250
  ev         web's, with ids 3001-3250 (for the latest events below)
Lists are sorted as sort= asks (date: last seen, new: first seen, freq:
events; newest or most first, ties in issue order) and filtered by the
query's is:unresolved or is:resolved and level:.
An issue's latest event (GET /api/0/organizations/acme/issues/ID/events/
latest/) has a chain of two exceptions with frames, except issue N002
(frames with escape sequences), N003 (60 frames), N004 (no exception),
N005 (404), N006 (not JSON) and N009 (held, 30 s at most, until the file
LOGFILE.event-ID.gate exists), for N 1, 2 or 3.
Any other project, or organization, is 404.  A token other than TOKEN is
401.  The log has one line a request (method, path, whether the token was
good), never a header's value."""
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN, LOG = sys.argv[1], sys.argv[2]
ORG = "acme"
MODES = {"web", "big", "rl", "ra", "rlforever", "flaky", "down", "slow", "badjson", "nofield", "forbidden", "gated",
         "rel", "ev"}
BASES = {"rel": 2000, "ev": 3000}
lock = threading.Lock()
hits = {}          # project -> requests seen
status = {}        # issue id -> status set by PUT
releases = set()
selections = {}    # big's filtered and sorted lists, by query


def rel_seen(n):
    """rel's first seen, last seen and status before any PUT."""
    first = "2026-11-26T10:00:00Z" if n <= 5 else "2026-11-23T10:00:00Z" if n in (9, 10) else "2026-11-20T10:00:00Z"
    if n in (6, 7, 8):
        return first, "2026-11-24T08:00:00Z", "resolved"
    if n == 11:
        return first, "2026-11-21T08:00:00Z", "resolved"
    return first, "2026-11-30T12:00:00.123456Z", "unresolved"


def issue(n, project, mode=None):
    # rel's and ev's ids are their own: the triage tests' PUTs (by id)
    # leave them alone.
    iid = str(BASES.get(mode, 1000) + n)
    title = "ZeroDivisionError: division by zero in view %d" % n
    if n == 2:
        title = "Bad \x1b[31mred\x1b[0m title \x1b]0;pwned\x07 end"
    if n == 3:
        title = "Long " + "x" * 10240
    i = {
        "id": iid, "shortId": "%s-%d" % (project.upper(), n), "title": title,
        "culprit": "app.views in index", "level": "error" if n % 3 else "warning",
        "status": status.get(iid, "unresolved"),
        "count": str(10 * n + 1) if n % 2 else 10 * n + 1, "userCount": n % 7,
        "firstSeen": "2026-11-20T10:00:00Z", "lastSeen": "2026-11-30T12:00:00.123456Z",
        "permalink": "http://127.0.0.1/organizations/acme/issues/%s/" % iid,
        "metadata": {"title": title}, "project": {"id": "1", "slug": project},
    }
    if n == 4:
        i["culprit"] = None
    if mode == "rel":
        i["firstSeen"], i["lastSeen"], first_status = rel_seen(n)
        i["status"] = status.get(iid, first_status)
    return i


big = {}


def all_issues(project, mode):
    """10,000 issues are made once: a page must not cost the whole list."""
    if mode != "big":
        return [issue(k, project, mode) for k in range(1, 251)]
    with lock:
        if project not in big:
            big[project] = [issue(k, project) for k in range(1, 10001)]
        return big[project]


SORT_KEYS = {"date": lambda i: i["lastSeen"] or "", "new": lambda i: i["firstSeen"] or "",
             "freq": lambda i: int(i["count"])}


def sort_issues(items, sort):
    """Newest (most) first; Python's sort is stable, reverse included."""
    key = SORT_KEYS.get(sort)
    return sorted(items, key=key, reverse=True) if key else items


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def log(self, good):
        with open(LOG, "a") as f:
            f.write("%s %s token=%s\n" % (self.command, self.path, "good" if good else "bad"))

    def send(self, code, body, headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def authorized(self):
        good = self.headers.get("Authorization", "") == "Bearer " + TOKEN
        self.log(good)
        if not good:
            self.send(401, {"detail": "Invalid token"})
        return good

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n) or b"{}")

    def do_GET(self):
        if not self.authorized():
            return
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.strip("/").split("/")
        if len(parts) == 8 and parts[:5] == ["api", "0", "organizations", ORG, "issues"] and parts[6:] == ["events",
                                                                                                        "latest"]:
            return self.latest_event(parts[5])
        if len(parts) != 6 or parts[:3] != ["api", "0", "projects"] or parts[5] != "issues" or parts[3] != ORG:
            return self.send(404, {"detail": "The requested resource does not exist"})
        project = parts[4]
        mode = project.split("-")[0]
        if mode not in MODES:
            return self.send(404, {"detail": "The requested resource does not exist"})
        with lock:
            hits[project] = hits.get(project, 0) + 1
            first = hits[project] == 1
        if mode == "forbidden":
            return self.send(403, {"detail": "You do not have permission to perform this action."})
        if mode == "rl" and first:
            return self.send(429, {"detail": "You are attempting to use this endpoint too frequently. Limit is "
                                             "40 requests in 1 seconds"},
                             {"X-Sentry-Rate-Limit-Reset": str(int(time.time()) + 1),
                              "X-Sentry-Rate-Limit-Remaining": "0", "X-Sentry-Rate-Limit-Limit": "40"})
        if mode == "ra" and first:
            return self.send(429, {"detail": "slow down"}, {"Retry-After": "1"})
        if mode == "rlforever":
            return self.send(429, {"detail": "slow down"}, {"X-Sentry-Rate-Limit-Reset": str(int(time.time()) + 120)})
        if (mode == "flaky" and first) or mode == "down":
            return self.send(500, b"<html>Internal Server Error</html>")
        if mode == "slow":
            time.sleep(3)
        if mode == "badjson":
            return self.send(200, b"[{\"id\": \"1\", oops")
        self.issues(project, mode, urllib.parse.parse_qs(url.query, keep_blank_values=True))

    @staticmethod
    def select(project, mode, query, q):
        items = all_issues(project, mode)
        if q.get("shortIdLookup") == ["1"]:
            return [i for i in items if i["shortId"] == query.upper()]
        for term in query.split():
            if term.startswith("level:"):
                items = [i for i in items if i["level"] == term[6:]]
        for st in ("unresolved", "resolved"):
            if "is:" + st in query.split():
                items = [i for i in items if i["status"] == st]
        return sort_issues(items, q.get("sort", ["date"])[0])

    def selected(self, project, mode, query, q):
        """big's 10,000 are filtered and sorted once per query, not per page."""
        if mode != "big":
            return self.select(project, mode, query, q)
        key = (project, query, q.get("sort", ["date"])[0], q.get("shortIdLookup", [""])[0])
        with lock:
            items = selections.get(key)
        if items is None:
            items = self.select(project, mode, query, q)
            with lock:
                selections[key] = items
        return items

    def issues(self, project, mode, q):
        if "statsPeriod" not in q:
            return self.send(400, {"detail": "test fake: statsPeriod expected"})
        query = q.get("query", ["is:unresolved"])[0]
        items = self.selected(project, mode, query, q)
        if mode == "nofield":
            del items[1]["title"]
        limit = min(int(q.get("limit", ["100"])[0]), 100)
        start = int(q.get("cursor", ["0:0:0"])[0].split(":")[1])
        page = items[start:start + limit]
        if mode == "gated" and start:
            for _ in range(300):
                if os.path.exists("%s.%s.gate" % (LOG, project)):
                    break
                time.sleep(0.1)
        base = "http://127.0.0.1:%d%s" % (self.server.server_port, urllib.parse.urlsplit(self.path).path)
        more = start + limit < len(items)
        nxt = "0:%d:0" % (start + limit)
        prev = "0:%d:1" % max(start - limit, 0)
        link = ('<%s?cursor=%s>; rel="previous"; results="%s"; cursor="%s", '
                '<%s?cursor=%s>; rel="next"; results="%s"; cursor="%s"'
                % (base, prev, "true" if start else "false", prev, base, nxt, "true" if more else "false", nxt))
        self.send(200, page, {"Link": link})

    def latest_event(self, iid):
        n = (int(iid) - 1000) % 1000 if iid.isdigit() and int(iid) > 1000 else 0
        if n in (0, 5):
            return self.send(404, {"detail": "Event not found"})
        if n == 6:
            return self.send(200, b"{\"entries\": [oops")
        if n == 9:
            for _ in range(300):
                if os.path.exists("%s.event-%s.gate" % (LOG, iid)):
                    break
                time.sleep(0.1)

        def frame(filename, function, line, in_app):
            return {"filename": filename, "absPath": "/srv/" + filename, "function": function, "lineNo": line,
                    "colNo": None, "inApp": in_app, "module": filename[:-3].replace("/", "."), "context": [],
                    "vars": {}}
        frames = [frame("django/core/handlers/base.py", "_get_response", 113, False),
                  frame("app/views.py", "index", 42, True), frame("app/calc.py", "divide", 7, True)]
        if n == 2:
            frames[1] = frame("app/\x1b[31mviews.py", "index\x1b]0;pwned\x07", 42, True)
        if n == 3:
            frames = [frame("app/deep.py", "level%d" % k, k, k > 50) for k in range(1, 61)]
        chain = [{"type": "KeyError", "value": "'user'", "module": None,
                  "stacktrace": {"frames": [frame("app/auth.py", "current_user", 12, True)]}},
                 {"type": "ZeroDivisionError", "value": "division by zero", "module": None,
                  "stacktrace": {"frames": frames, "framesOmitted": None}}]
        entries = [{"type": "breadcrumbs", "data": {"values": []}}]
        if n != 4:
            entries.insert(0, {"type": "exception", "data": {"values": chain, "hasSystemFrames": True}})
        else:
            entries.append({"type": "message", "data": {"formatted": "just a message"}})
        self.send(200, {"id": "ev%d" % n, "eventID": "e%031d" % n, "groupID": iid, "title": "t",
                        "dateCreated": "2026-11-30T12:00:00Z", "entries": entries, "tags": []})

    def do_PUT(self):
        if not self.authorized():
            return
        parts = urllib.parse.urlsplit(self.path).path.strip("/").split("/")
        if len(parts) != 6 or parts[:3] != ["api", "0", "organizations"] or parts[3] != ORG or parts[4] != "issues":
            return self.send(404, {"detail": "The requested resource does not exist"})
        iid = parts[5]
        if not iid.isdigit() or not any(b + 1 <= int(iid) <= b + 250 for b in (1000, 2000, 3000)):
            return self.send(404, {"detail": "The requested resource does not exist"})
        st = self.body().get("status")
        if st not in ("resolved", "unresolved", "ignored"):
            return self.send(400, {"detail": "bad status"})
        with lock:
            status[iid] = st
        self.send(200, {"id": iid, "status": st})

    def do_POST(self):
        if not self.authorized():
            return
        parts = urllib.parse.urlsplit(self.path).path.strip("/").split("/")
        if parts[:4] != ["api", "0", "organizations", ORG] or len(parts) < 5 or parts[4] != "releases":
            return self.send(404, {"detail": "The requested resource does not exist"})
        b = self.body()
        if len(parts) == 5:
            if not b.get("version") or not b.get("projects"):
                return self.send(400, {"detail": "version and projects are required"})
            with lock:
                existed = b["version"] in releases
                releases.add(b["version"])
            with open(LOG, "a") as f:
                f.write("release %s projects=%s\n" % (b["version"], ",".join(b["projects"])))
            return self.send(208 if existed else 201, {"version": b["version"], "projects": b["projects"]})
        version = urllib.parse.unquote(parts[5])
        if len(parts) != 7 or parts[6] != "deploys" or version not in releases:
            return self.send(404, {"detail": "The requested resource does not exist"})
        if not b.get("environment"):
            return self.send(400, {"detail": "environment is required"})
        with open(LOG, "a") as f:
            f.write("deploy %s env=%s started=%s finished=%s\n"
                    % (version, b["environment"], b.get("dateStarted"), b.get("dateFinished")))
        self.send(201, {"id": "1", "environment": b["environment"], "dateStarted": b.get("dateStarted"),
                        "dateFinished": b.get("dateFinished")})


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_port, flush=True)
server.serve_forever()
