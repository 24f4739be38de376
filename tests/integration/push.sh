# Push stages against the real engines (podman's API service and dockerd)
# and the real registries scripts/engine.sh starts: a push to the plain
# registry recorded with the digest the registry serves; the password
# registry refusing no credentials and wrong ones, taking the right ones;
# a registry that does not answer; an image the engine does not have.  The
# token is looked for everywhere slipway writes or shows: it is never there.
# slow
# timeout: 900
. "$SW_SRCDIR/tests/lib.sh"

ENGINE=$SW_SRCDIR/scripts/engine.sh
declare -A HOSTS=()
export TERM=xterm-256color SLIPWAY_SCRIPT_TIMEOUT=60


# A port on 127.0.0.1 where nothing listens: one the kernel just gave
# out and took back.
free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# pipeline REGISTRY [IMAGE]: a repository whose push stage pushes the image
# an earlier shell stage made with the docker CLI (a tag of busybox named
# after this engine) to REGISTRY; IMAGE replaces what it pushes.
pipeline() {
	local registry=$1 image=${2:-'$IMAGE:$SLIPWAY_COMMIT'}
	make_repo r <<EOF2
{"version": 1, "pass_env": ["DOCKER_HOST"], "secrets": ["DOCKER_USERNAME", "DOCKER_TOKEN"],
 "stages": [
  {"name": "image", "run": "docker tag slipway-busybox:latest \"\$IMAGE:\$SLIPWAY_COMMIT\"",
   "env": {"IMAGE": "swpush-$KIND"}},
  {"name": "push", "push": {"image": "$image", "registry": "$registry"},
   "env": {"IMAGE": "swpush-$KIND"}, "timeout": 120}]}
EOF2
	cd r
}

# served_digest REGISTRY NAME TAG: the digest the registry serves for the
# tag, as docker pull would ask for it.
served_digest() {
	curl -sfI -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
		-H 'Accept: application/vnd.oci.image.manifest.v1+json' ${4:+-u "$4"} \
		"http://$1/v2/$2/manifests/$3" | tr -d '\r' | sed -n 's/^docker-content-digest: *//Ip'
}

# no_trace TEXT: TEXT is nowhere slipway wrote (the run store: records,
# logs, executor diagnostics), in what it printed (out, err), in its
# history and logs, nor on the dashboard's screens.
no_trace() {
	local text=$1
	$SLIPWAY log 1 push >log.out 2>&1 || true
	$SLIPWAY history >history.out 2>&1
	$SLIPWAY history --json >history.json 2>&1
	printf '\n' >script
	$SLIPWAY --script script --size 160x45 --dump screen
	printf '<Enter>\n' >script
	$SLIPWAY --script script --size 160x45 --dump log.screen
	! grep -rqF -- "$text" .git/slipway ../out ../err log.out history.out history.json screen log.screen ||
		fail "the token appears: $(grep -rlF -- "$text" .git/slipway ../out ../err ./*.out ./*.json ./*screen)"
}

push_reason() {
	json "$(run_json 1)" '[s["status"] + ": " + str(s["reason"]) for s in j["stages"] if s["name"] == "push"][0]'
}

# ---- on each engine ----

pushes_and_records_the_digest() {
	pipeline "$REGISTRY"
	local sha f digest
	sha=$(git rev-parse HEAD)
	$SLIPWAY run --follow >../out 2>../err || { tail -20 ../out ../err; fail "the run failed"; }
	f=$(run_json 1)
	expect_eq "$(json "$f" '[s["status"] for s in j["stages"]]')" "['passed', 'passed']"
	expect_eq "$(json "$f" 'j["stages"][1]["image"]')" "$REGISTRY/swpush-$KIND:$sha"
	digest=$(json "$f" 'j["stages"][1]["digest"]')
	expect_eq "$digest" "$(served_digest "$REGISTRY" "swpush-$KIND" "$sha")"
	case $digest in sha256:????????????*) ;; *) fail "digest: $digest" ;; esac
	$SLIPWAY log 1 push >log.out
	grep -q "^tagged swpush-$KIND:$sha as $REGISTRY/swpush-$KIND:$sha$" log.out || fail "$(cat log.out)"
	# The engine's own progress: dockerd tells each layer, podman less.
	grep -q "^The push refers to repository \[$REGISTRY/swpush-$KIND" log.out || fail "no progress: $(cat log.out)"
	[ "$KIND" = podman ] || grep -q ': Pushed$\|: Layer already exists$' log.out || fail "no layers: $(cat log.out)"
	expect_eq "$(tail -1 log.out)" "pushed $REGISTRY/swpush-$KIND:$sha digest $digest"
	$SLIPWAY history >history.out
	expect_eq "$(sed -n 2p history.out)" "       pushed $REGISTRY/swpush-$KIND:$sha sha256:${digest:7:12}"
	$SLIPWAY history --json >history.json
	expect_eq "$(json history.json 'j[0]["stages"][1]["digest"]')" "$digest"
	# The pipeline is the right half of the screen: room for the whole name.
	printf '\n' >script
	$SLIPWAY --script script --size 320x45 --dump screen
	grep -q "push .* passed *pushed $REGISTRY/swpush-$KIND:$sha sha256:${digest:7:12}" screen || fail "$(cat screen)"
}

no_credentials_are_asked_for() {
	pipeline "$REGISTRY_AUTH"
	exits 1 $SLIPWAY run --follow >../out 2>../err
	expect_eq "$(push_reason)" "failed: exit code 1"
	$SLIPWAY log 1 push >log.out
	grep -q "^slipway: cannot push $REGISTRY_AUTH/swpush-$KIND:.*: $REGISTRY_AUTH wants credentials: name DOCKER_USERNAME and DOCKER_TOKEN in the secrets of main's slipway.json" log.out ||
		fail "$(cat log.out)"
	grep -q "without credentials$" log.out
}

wrong_credentials_are_refused() {
	pipeline "$REGISTRY_AUTH"
	local token=wrong-token-$RANDOM$RANDOM
	DOCKER_USERNAME=$REGISTRY_AUTH_USER DOCKER_TOKEN=$token exits 1 $SLIPWAY run --follow >../out 2>../err
	expect_eq "$(push_reason)" "failed: exit code 1"
	$SLIPWAY log 1 push >log.out
	# The user name is a secret too: masked, "slipway: " prefix included.
	grep -q "cannot push $REGISTRY_AUTH/swpush-$KIND:.*: $REGISTRY_AUTH refused the credentials DOCKER_USERNAME and DOCKER_TOKEN (from the secrets): .*unauthorized" log.out ||
		fail "$(cat log.out)"
	no_trace "$token"
}

right_credentials_pass() {
	pipeline "$REGISTRY_AUTH"
	local password sha digest
	password=$(cat "$REGISTRY_AUTH_PASSWORD_FILE")
	sha=$(git rev-parse HEAD)
	DOCKER_USERNAME=$REGISTRY_AUTH_USER DOCKER_TOKEN=$password $SLIPWAY run --follow >../out 2>../err ||
		{ tail -20 ../out ../err; fail "the run failed"; }
	digest=$(json "$(run_json 1)" 'j["stages"][1]["digest"]')
	expect_eq "$digest" "$(served_digest "$REGISTRY_AUTH" "swpush-$KIND" "$sha" "$REGISTRY_AUTH_USER:$password")"
	grep -q "as DOCKER_USERNAME$" .git/slipway/runs/1/logs/push.log
	no_trace "$password"
}

registry_down_is_told() {
	local port
	port=$(free_port)
	pipeline "127.0.0.1:$port"
	exits 1 $SLIPWAY run --follow >../out 2>../err
	expect_eq "$(push_reason)" "failed: exit code 1"
	$SLIPWAY log 1 push >log.out
	grep -q "^slipway: cannot push 127.0.0.1:$port/swpush-$KIND:.*: 127.0.0.1:$port does not answer (.*connection refused)$" log.out ||
		fail "$(cat log.out)"
	expect_eq "$(json "$(run_json 1)" '"image" in j["stages"][1]')" False
}

unknown_image_is_told() {
	pipeline "$REGISTRY" 'swpush-none-of-these:$SLIPWAY_COMMIT'
	exits 1 $SLIPWAY run --follow >../out 2>../err
	expect_eq "$(push_reason)" "failed: exit code 1"
	$SLIPWAY log 1 push >log.out
	grep -q "^slipway: cannot tag image swpush-none-of-these:[0-9a-f]*: the engine has no such image; build it first (.*)$" log.out ||
		fail "$(cat log.out)"
}

# ---- the engine need not be reached for these ----

unset_variable_is_named() {
	pipeline "$REGISTRY" '$NOPE:1'
	exits 1 $SLIPWAY run --follow >../out 2>../err
	expect_eq "$($SLIPWAY log 1 push)" 'slipway: $NOPE:1: $NOPE is not set in the stage'"'"'s environment'
}

# The executor's command, not a user's: not in --help, nor suggested.
push_command_is_hidden() {
	! $SLIPWAY --help | grep -q __push
	exits 2 $SLIPWAY __push 2>err
	grep -q '^usage: slipway __push -- IMAGE \[REGISTRY\] (a push stage.s process)$' err
	exits 2 $SLIPWAY __pus 2>err
	! grep -q __push err
}

# A push stage's engine is DOCKER_HOST, else main's docker.host: "~/" the
# caller's home, as the sample names the demo's engine.
docker_host_of_main_is_used() {
	mkdir -p "$HOME/eng"
	ln -sf "${HOSTS[podman]#unix://}" "$HOME/eng/engine.sock"
	make_repo r <<EOF2
{"version": 1, "docker": {"host": "unix://~/eng/engine.sock"},
 "stages": [{"name": "push", "push": {"image": "slipway-busybox:latest", "registry": "\${REG:-$REGISTRY}"}}]}
EOF2
	cd r
	env -u DOCKER_HOST $SLIPWAY run --follow >../out 2>../err || { tail ../out ../err; fail "the run failed"; }
	grep -q "^engine: Podman Engine .* at unix://$HOME/eng/engine.sock$" .git/slipway/runs/1/logs/push.log
	expect_eq "$(json "$(run_json 1)" 'j["stages"][0]["image"]')" "$REGISTRY/slipway-busybox:latest"
	rm "$HOME/eng/engine.sock"
}

if ! engines_up; then
	echo "FAIL: engines_start"
	exit 1
fi
for KIND in podman docker; do
	export DOCKER_HOST=${HOSTS[$KIND]}
	for t in pushes_and_records_the_digest no_credentials_are_asked_for wrong_credentials_are_refused \
		right_credentials_pass registry_down_is_told unknown_image_is_told; do
		eval "${t}_on_$KIND() { $t; }"
		t_run "${t}_on_$KIND"
	done
	docker images --format '{{.Repository}}:{{.Tag}}' | grep "swpush-$KIND:" | xargs -r docker rmi -f >/dev/null 2>&1 || true
done
KIND=podman
export DOCKER_HOST=${HOSTS[podman]}
t_run unset_variable_is_named
t_run push_command_is_hidden
t_run docker_host_of_main_is_used
t_done
