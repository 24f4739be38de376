#!/usr/bin/env bash
# From a push to its run: `slipway watch --listen` taking GitHub's push
# webhook (signed, then a fetch) against a watcher that finds the push by
# fetching every 5 s (fetch_interval's least).  Each round pushes a commit
# to each repository's remote, alternately (A B A B), PAIRS (5) rounds;
# for the webhook, the time from sending the delivery to its reply and to
# the run's record existing (target: under 50 ms, the reply first); for
# polling, from the push to the record.  Medians and the median of the
# rounds' ratios.  Never fails on a timing.
#
#   bench/webhook.sh                  # build/slipway next to this script
#   SLIPWAY=/path/to/slipway PAIRS=9 bench/webhook.sh
set -u

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
SLIPWAY=${SLIPWAY:-$here/../build/slipway}
PAIRS=${PAIRS:-5}
[ -x "$SLIPWAY" ] || { echo "webhook.sh: no slipway at $SLIPWAY (build it first)" >&2; exit 2; }
command -v openssl >/dev/null && [ -x /usr/bin/python3 ] || { echo "webhook.sh: needs openssl and python3" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/slipway-bench-webhook.XXXXXX")
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
export HOME=$work/home GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.invalid
export GITHUB_WEBHOOK_SECRET="bench-$RANDOM$RANDOM"
mkdir -p "$HOME"
cd "$work"

# setup NAME INTERVAL: NAME.git, a clone NAME watched with that
# fetch_interval, and NAME-pusher, a clone that pushes to development.
setup() {
	git init -q --bare "$1.git"
	git init -q -b main "$1"
	(cd "$1" &&
		printf '{"version": 1, "stages": [{"name": "t", "run": "true"}], "watch": {"fetch_interval": %s}}\n' "$2" >slipway.json &&
		git add -A && git commit -q -m pipeline && git branch development &&
		git remote add origin "$work/$1.git" && git push -q origin main development)
	git clone -q "$1.git" "$1-pusher" 2>/dev/null
	git -C "$1-pusher" checkout -q development
}
setup hook 0
setup poll 5
(cd hook && exec "$SLIPWAY" watch --listen 127.0.0.1:0 >"$work/hook.log" 2>&1) &
pids+=($!)
(cd poll && exec "$SLIPWAY" watch >"$work/poll.log" 2>&1) &
pids+=($!)
for _ in $(seq 100); do grep -q "webhooks on port" hook.log 2>/dev/null && grep -q watching poll.log 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*webhooks on port \([0-9]*\).*/\1/p' hook.log)
[ -n "$port" ] || { echo "webhook.sh: the watcher did not listen: $(cat hook.log)" >&2; exit 2; }

push() { (cd "$1-pusher" && echo "$2" >>f && git add f && git commit -q -m "$2" && git push -q origin development); }
next_run() { echo $(($(ls "$1/.git/slipway/runs" 2>/dev/null | grep -c '^[0-9]*$') + 1)); }

# hook_once N: pushes, delivers; prints "reply_ns run_ns".
hook_once() {
	local id after
	id=$(next_run hook)
	push hook "h$1"
	after=$(git -C hook-pusher rev-parse HEAD)
	/usr/bin/python3 - "$port" "$after" "$work/hook/.git/slipway/runs/$id/run.json" "$1" <<'EOF'
import hashlib, hmac, http.client, json, os, sys, time
port, after, record, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
body = json.dumps({"ref": "refs/heads/development", "after": after, "deleted": False,
                   "repository": {"full_name": "bench/site"}}).encode()
sig = "sha256=" + hmac.new(os.environ["GITHUB_WEBHOOK_SECRET"].encode(), body, hashlib.sha256).hexdigest()
c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
t0 = time.monotonic_ns()
c.request("POST", "/", body, {"Content-Type": "application/json", "X-GitHub-Event": "push",
                              "X-GitHub-Delivery": "bench-%s-%s" % (n, after), "X-Hub-Signature-256": sig})
c.getresponse().read()
t1 = time.monotonic_ns()
ran_before_reply = os.path.exists(record)
end = t0 + 30 * 10**9
while not os.path.exists(record) and time.monotonic_ns() < end:
    time.sleep(0.0005)
t2 = time.monotonic_ns()
print(t1 - t0, t2 - t0, int(ran_before_reply))
EOF
}

# poll_once N: pushes; prints the ns until the run's record exists.
poll_once() {
	local id
	id=$(next_run poll)
	/usr/bin/python3 - "$work/poll/.git/slipway/runs/$id/run.json" "$work/poll-pusher" "p$1" <<'EOF'
import os, subprocess, sys, time
record, pusher, n = sys.argv[1], sys.argv[2], sys.argv[3]
with open(os.path.join(pusher, "f"), "a") as f:
    f.write(n + "\n")
subprocess.run(["git", "-C", pusher, "add", "f"], check=True)
subprocess.run(["git", "-C", pusher, "commit", "-q", "-m", n], check=True)
subprocess.run(["git", "-C", pusher, "push", "-q", "origin", "development"], check=True)
t0 = time.monotonic_ns()
end = t0 + 30 * 10**9
while not os.path.exists(record) and time.monotonic_ns() < end:
    time.sleep(0.001)
print(time.monotonic_ns() - t0)
EOF
}

hook_once 0 >/dev/null	# warm-up
replies=() hooks=() polls=() ratios=() early=0
for i in $(seq 1 "$PAIRS"); do
	read -r reply run before <<<"$(hook_once "$i")"
	poll=$(poll_once "$i")
	replies+=("$reply") hooks+=("$run") polls+=("$poll") ratios+=("$(ratio "$poll" "$run")")
	early=$((early + before))
	echo "  round $i: webhook reply $(ms "$reply") ms, run recorded $(ms "$run") ms; polling $(ms "$poll") ms"
done
echo "webhook.sh: median reply $(ms "$(printf '%s\n' "${replies[@]}" | median)") ms, push to run recorded $(ms "$(printf '%s\n' "${hooks[@]}" | median)") ms (target under 50 ms); runs recorded before the reply: $early of $PAIRS"
echo "webhook.sh: polling every 5 s: median $(ms "$(printf '%s\n' "${polls[@]}" | median)") ms; median ratio polling/webhook $(printf '%s\n' "${ratios[@]}" | median)"
