# "target": "swarm": slipway deploy updates Swarm services through the
# Engine API on the real Docker Engine (dockerd of scripts/engine.sh, made a
# one-node swarm manager on 127.0.0.1 once for the suite): a service
# updated to the image the run built; a new image that fails its health
# check, rolled back by Swarm itself; two services where the second fails
# and slipway takes the first back, so that they never end on two
# releases; slipway rollback; an engine that is no swarm; the services
# and their tasks in slipway containers and the dashboard's Containers
# panel.  The services use the host's network namespace and no port, so
# nothing leaves loopback.
# slow
# timeout: 1200
. "$SW_SRCDIR/tests/lib.sh"

ENGINE=$SW_SRCDIR/scripts/engine.sh
ID=sws$$
declare -A HOSTS=()

cleanup() {
	[ -n "${HOSTS[docker]:-}" ] || return 0
	export DOCKER_HOST=${HOSTS[docker]}
	docker service ls -q --filter "label=slipway.test=$ID" 2>/dev/null | xargs -r docker service rm >/dev/null 2>&1
	docker images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | grep "^$ID" | xargs -r docker rmi -f >/dev/null 2>&1
	# The swarm is left to engine.sh stop, which leaves it: another suite's
	# dockerd tests see tasks' containers only while a service lives.
	return 0
}

# project SERVICES IMAGE [MORE-DEPLOY-KEYS]: a repository on main whose one
# stage builds $ID-app:COMMIT (healthy unless the commit has a file
# "broken") and $ID-other:COMMIT (unhealthy when it has "broken-other"),
# deployed to the swarm; services made from a busybox image first.
# PROJECT_TOP adds top-level keys, PROJECT_STAGES stages after the build.
project() {
	local services=$1 image=$2 extra=${3:-}
	make_repo r <<EOF
{"version": 1, "pass_env": ["DOCKER_HOST"]${PROJECT_TOP:-},
 "stages": [{"name": "image", "run": "sh build.sh"}${PROJECT_STAGES:-}],
 "deploy": {"target": "swarm", "services": $services, "image": $image,
            "monitor": 2, "update_timeout": 120$extra}}
EOF
	cd r
	cat >build.sh <<EOF
set -e
ok() { test -e "\$1" && echo 0 || echo 1; }
for name in app other; do
	flag=broken; [ \$name = app ] || flag=broken-other
	mkdir -p ctx && cat >ctx/Dockerfile <<'DF'
FROM slipway-busybox:latest
ARG OK=1
RUN if [ "\$OK" = 1 ]; then touch /ok; fi
HEALTHCHECK --interval=1s --timeout=2s --retries=2 CMD test -e /ok
CMD ["sleep", "100000"]
DF
	DOCKER_BUILDKIT=0 docker build -q --build-arg OK=\$(ok \$flag) -t "$ID-\$name:\$SLIPWAY_COMMIT" ctx >/dev/null
done
echo built
EOF
	echo ctx/ >.gitignore
	git add -A
	git commit -q -m "Release 1"
}

# service NAME [REPLICAS [OPTION...]]: a service of this test (one replica
# unless told) running busybox (no release of the project's), replaced one
# task at a time, at once; the last test's of that name goes first.
service() {
	local name=$1 replicas=${2:-1}
	shift $(($# < 2 ? $# : 2))
	docker service rm "$ID-$name" >/dev/null 2>&1 || true
	# (Its warning: the image is in no registry, which one node needs not.)
	docker service create -d -q --name "$ID-$name" --label "slipway.test=$ID" --network host \
		--replicas "$replicas" --update-delay 0s --rollback-delay 0s --rollback-monitor 2s "$@" \
		slipway-busybox:latest sleep 100000 >/dev/null 2>&1
}

# replicas NAME: what docker service ls says of it ("2/2").
replicas() {
	docker service ls --filter "name=$ID-$1" --format '{{.Name}} {{.Replicas}}' | awk -v n="$ID-$1" '$1 == n { print $2 }'
}

replicas_are() { [ "$(replicas "$1")" = "$2" ]; }

image_of() {
	docker service inspect "$ID-$1" --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}'
}

green() { $SLIPWAY run main --follow >/dev/null; }
deploy_json() { $SLIPWAY deploys --json >dj.json && json dj.json "$1"; }
steps() { deploy_json '" ".join(s["name"] + "=" + s["status"] for s in j[0]["steps"])'; }
release() {
	echo "$1" >release.txt
	git add -A
	git commit -q -m "Release $1"
}

# ---- the tests ----

service_runs_the_tested_commit() {
	service web
	project "[\"$ID-web\"]" "\"$ID-app:\$SLIPWAY_COMMIT\""
	green
	$SLIPWAY deploy --dry-run >plan
	grep -q "^would deploy $(git rev-parse --short=7 HEAD) to production (swarm:${HOSTS[docker]}), proved by run #1" plan ||
		fail "$(cat plan)"
	$SLIPWAY deploy --follow >out 2>&1 || { cat out; fail "the deploy failed"; }
	grep -q "^deploy #1 succeeded" out || fail "$(cat out)"
	grep -q "Swarm: completed" out || fail "the update's states are not shown: $(cat out)"
	expect_eq "$(image_of web)" "$ID-app:$(git rev-parse HEAD)"
	expect_eq "$(steps)" "update-$ID-web=passed health=skipped sentry=skipped"
	expect_eq "$(deploy_json '(j[0]["target"], j[0]["path"], j[0]["previous"], j[0]["run"])')" \
		"('swarm', '${HOSTS[docker]}', None, 1)"
	expect_eq "$($SLIPWAY status --json | json /dev/stdin 'j["deploy"]["current"]')" "$(git rev-parse HEAD)"
	# The same commit again is refused, as on any target; --force replaces
	# the tasks.
	exits 1 $SLIPWAY deploy 2>err
	grep -q "is already the current release in production" err || fail "$(cat err)"
	local task
	task=$(docker service ps -q --filter desired-state=running "$ID-web")
	$SLIPWAY deploy --force --follow >/dev/null 2>&1 || fail "the forced deploy failed"
	[ "$(docker service ps -q --filter desired-state=running "$ID-web")" != "$task" ] || fail "--force replaced no task"
}

unhealthy_image_is_rolled_back_by_swarm() {
	service web
	project "[\"$ID-web\"]" "\"$ID-app:\$SLIPWAY_COMMIT\""
	green
	$SLIPWAY deploy --follow >/dev/null
	local good
	good=$(git rev-parse HEAD)
	touch broken
	release 2
	green
	exits 1 $SLIPWAY deploy --follow >out 2>&1
	grep -q "^deploy #2 rolled_back" out || fail "$(cat out)"
	grep -q "update-$ID-web failed: Swarm rolled $ID-web back: its new tasks failed: task [0-9a-z]* (failed): .*unhealthy container" out ||
		fail "no reason with the task's error: $(cat out)"
	grep -q "Swarm: rollback_completed" out || fail "$(cat out)"
	expect_eq "$(image_of web)" "$ID-app:$good"
	expect_eq "$(deploy_json 'j[0]["status"]')" rolled_back
	# Swarm took it back by itself: nothing for slipway to undo.
	expect_eq "$(steps)" "update-$ID-web=failed health=skipped sentry=skipped"
	expect_eq "$($SLIPWAY status --json | json /dev/stdin 'j["deploy"]["current"]')" "$good"
}

# The second service's image is bad: Swarm takes that one back, slipway
# the first, so both run the release that served before.
second_service_failing_takes_the_first_back() {
	service web
	service worker
	project "[\"$ID-web\", \"$ID-worker\"]" \
		"{\"$ID-web\": \"$ID-app:\$SLIPWAY_COMMIT\", \"$ID-worker\": \"$ID-other:\$SLIPWAY_COMMIT\"}"
	green
	$SLIPWAY deploy --follow >/dev/null 2>&1 || fail "the first deploy failed"
	local good
	good=$(git rev-parse HEAD)
	expect_eq "$(image_of worker)" "$ID-other:$good"
	touch broken-other
	release 2
	green
	exits 1 $SLIPWAY deploy --follow >out 2>&1
	grep -q "^deploy #2 rolled_back" out || fail "$(cat out)"
	expect_eq "$(steps)" \
		"update-$ID-web=passed update-$ID-worker=failed health=skipped sentry=skipped rollback-$ID-web=passed"
	expect_eq "$(image_of web)" "$ID-app:$good"
	expect_eq "$(image_of worker)" "$ID-other:$good"
	grep -q "$ID-web, $ID-worker run ${good:0:7} again, the release that served before" out || fail "$(cat out)"
}

# A health URL that fails after every service completed: each is taken
# back.  (The URL is a port nothing listens on, on loopback.)
failed_health_url_takes_every_service_back() {
	service web
	project "[\"$ID-web\"]" "\"$ID-app:\$SLIPWAY_COMMIT\""
	green
	$SLIPWAY deploy --follow >/dev/null
	local good port
	good=$(git rev-parse HEAD)
	port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	sed -i "s|\"update_timeout\": 120|\"update_timeout\": 120, \"health\": {\"url\": \"http://127.0.0.1:$port/\", \"timeout\": 2}|" slipway.json
	release 2
	green
	exits 1 $SLIPWAY deploy --follow >out 2>&1
	expect_eq "$(steps)" "update-$ID-web=passed health=failed sentry=skipped rollback-$ID-web=passed"
	expect_eq "$(image_of web)" "$ID-app:$good"
	expect_eq "$(deploy_json 'j[0]["status"]')" rolled_back
}

rollback_asks_swarm_for_the_previous_spec() {
	service web
	project "[\"$ID-web\"]" "\"$ID-app:\$SLIPWAY_COMMIT\""
	green
	$SLIPWAY deploy --follow >/dev/null
	local first
	first=$(git rev-parse HEAD)
	release 2
	green
	$SLIPWAY deploy --follow >/dev/null
	$SLIPWAY rollback --dry-run >plan
	grep -q "^would roll back to ${first:0:7} to production" plan || fail "$(cat plan)"
	$SLIPWAY rollback --follow >out 2>&1 || { cat out; fail "the rollback failed"; }
	grep -q "^rollback #3 succeeded" out || fail "$(cat out)"
	expect_eq "$(image_of web)" "$ID-app:$first"
	expect_eq "$(steps)" "rollback-$ID-web=passed"
	expect_eq "$($SLIPWAY status --json | json /dev/stdin 'j["deploy"]["current"]')" "$first"
}

# The image lives in the registry that wants a password: the nodes pull it
# with main's DOCKER_USERNAME and DOCKER_TOKEN secrets (the push stage's),
# and without them the update fails and Swarm goes back.
image_from_a_registry_that_wants_credentials() {
	service web
	PROJECT_TOP=', "secrets": ["DOCKER_USERNAME", "DOCKER_TOKEN"]' \
		PROJECT_STAGES=", {\"name\": \"push\", \"push\": {\"image\": \"$ID-app:\$SLIPWAY_COMMIT\", \"registry\": \"$REGISTRY_AUTH\"}}" \
		project "[\"$ID-web\"]" "\"$REGISTRY_AUTH/$ID-app:\$SLIPWAY_COMMIT\""
	local password sha
	password=$(cat "$REGISTRY_AUTH_PASSWORD_FILE")
	DOCKER_USERNAME=$REGISTRY_AUTH_USER DOCKER_TOKEN=$password $SLIPWAY run main --follow >run.out 2>&1 ||
		{ cat run.out; fail "the run failed"; }
	sha=$(git rev-parse HEAD)
	# Only the registry has it now.
	docker rmi -f "$REGISTRY_AUTH/$ID-app:$sha" "$ID-app:$sha" >/dev/null
	exits 1 $SLIPWAY deploy --follow >out 2>&1
	expect_eq "$(deploy_json 'j[0]["status"]')" rolled_back
	grep -q "secret DOCKER_USERNAME is set nowhere" out || fail "$(cat out)"
	DOCKER_USERNAME=$REGISTRY_AUTH_USER DOCKER_TOKEN=$password $SLIPWAY deploy --follow >out 2>&1 ||
		{ cat out; fail "the deploy with credentials failed"; }
	grep -q "the nodes pull from $REGISTRY_AUTH as DOCKER_USERNAME" out || fail "$(cat out)"
	expect_eq "$(image_of web)" "$REGISTRY_AUTH/$ID-app:$sha"
	! grep -qF "$password" out .git/slipway/deploys/*/*.log || fail "the password is in a log"
}

unknown_service_is_named() {
	project "[\"$ID-nosuch\"]" "\"$ID-app:\$SLIPWAY_COMMIT\""
	green
	exits 1 $SLIPWAY deploy 2>err
	expect_eq "$(cat err)" "slipway: deploy.services[0]: no service $ID-nosuch on the swarm at ${HOSTS[docker]} (\`docker service ls\` lists those there; \`docker stack deploy\` makes a stack's)"
	expect_eq "$(deploy_json 'len(j)')" 0
}

podman_has_no_swarm() {
	project "[\"$ID-web\"]" "\"$ID-app:\$SLIPWAY_COMMIT\""
	DOCKER_HOST=${HOSTS[podman]} exits 1 $SLIPWAY deploy --force 2>err
	expect_eq "$(cat err)" "slipway: deploy.target: the container engine at ${HOSTS[podman]} is podman, which has no Swarm: \"target\": \"swarm\" needs a Docker Engine that is a swarm manager"
}

# slipway containers against a real service of two replicas (and one in a
# stack, listed first): the counts from the tasks, each task on the node
# docker node ls names; --project picks a stack; podman lists none, with
# no error.
containers_lists_the_services() {
	service web 2
	service stacked 1 --label "com.docker.stack.namespace=$ID"
	wait_for 90 replicas_are web 2/2
	wait_for 90 replicas_are stacked 1/1
	local node
	node=$(docker node ls --format '{{.Hostname}}')
	$SLIPWAY containers --json --no-stats >c.json
	# (Earlier tests' services are listed too: only this one's two, in order.)
	expect_eq "$(json c.json "[s['name'] for s in j['services'] if s['name'] in ('$ID-web', '$ID-stacked')]")" \
		"['$ID-stacked', '$ID-web']"
	expect_eq "$(json c.json "[(s['stack'], s['image'], s['mode'], s['replicas_running'], s['replicas_desired'], s['update_state']) for s in j['services'] if s['name'] == '$ID-web']")" \
		"[(None, 'slipway-busybox:latest', 'replicated', 2, 2, None)]"
	expect_eq "$(json c.json "[(t['node'], t['state'], t['desired'], t['error'], t['image']) for s in j['services'] if s['name'] == '$ID-web' for t in s['tasks']]")" \
		"[('$node', 'running', 'running', None, 'slipway-busybox:latest'), ('$node', 'running', 'running', None, 'slipway-busybox:latest')]"
	expect_eq "$(json c.json "sorted(t['id'] for s in j['services'] if s['name'] == '$ID-web' for t in s['tasks'])")" \
		"$(docker service ps -q --filter desired-state=running --no-trunc "$ID-web" | sort | /usr/bin/python3 -c 'import sys; print(sorted(sys.stdin.read().split()))')"
	expect_eq "$(json c.json "[s['stack'] for s in j['services'] if s['name'] == '$ID-stacked']")" "['$ID']"
	$SLIPWAY containers --no-stats >out
	grep -q "^swarm services  [0-9]*/[0-9]* with every replica running$" out || fail "$(cat out)"
	grep -Eq "^  $ID-web +replicated +2/2 +slipway-busybox:latest +-$" out || fail "$(cat out)"
	grep -Eq "^    $ID-web\.1 +$node +running$" out || fail "$(cat out)"
	grep -Eq "^    $ID-web\.2 +$node +running$" out || fail "$(cat out)"
	# The stack's services only, as for a compose project's containers.
	$SLIPWAY containers --json --no-stats --project "$ID" >p.json
	expect_eq "$(json p.json "[s['name'] for s in j['services']]")" "['$ID-stacked']"
	DOCKER_HOST=${HOSTS[podman]} $SLIPWAY containers --json --no-stats >podman.json 2>err
	expect_eq "$(json podman.json 'j["services"]')" "[]"
	expect_eq "$(cat err)" ""
	DOCKER_HOST=${HOSTS[podman]} $SLIPWAY containers --no-stats >podman.out 2>err
	! grep -q "swarm services" podman.out || fail "$(cat podman.out)"
	expect_eq "$(cat err)" ""
	docker service rm "$ID-stacked" >/dev/null
}

# The Containers panel: the service's row with its replicas, its tasks on
# their node beneath, and a scale done with the docker CLI shown by the
# engine's service events alone (no R).
panel_shows_the_services() {
	command -v tmux >/dev/null || fail "tmux is missing"
	service web 2
	wait_for 90 replicas_are web 2/2
	local node
	node=$(docker node ls --format '{{.Hostname}}')
	make_repo r <<'EOF2'
{"version": 1, "stages": [{"name": "build", "run": "true"}]}
EOF2
	cd r
	TERM=xterm-256color tmx new-session -d -x 120 -y 30 -s dash "$SLIPWAY; echo DASHBOARD-EXITED; sleep 60"
	wait_screen 20 'Branches 1'
	tmx send-keys -t dash C
	wait_screen 20 '^─ Containers [0-9]* · [0-9]* services\{0,1\} · Docker Engine'
	tmx send-keys -t dash / "$ID-web" Enter
	wait_screen 20 "filter: $ID-web"
	wait_screen 20 'swarm services · 1/1 with every replica running'
	wait_screen 10 "✓ 2/2 *$ID-web *slipway-busybox:latest"
	wait_screen 10 "running *└ $ID-web\.1 *$node"
	wait_screen 10 "running *└ $ID-web\.2 *$node"
	docker service scale -d "$ID-web=1" >/dev/null 2>&1
	wait_screen 60 "✓ 1/1 *$ID-web "
	wait_for 30 sh -c "! tmux -L $T_TMUX capture-pane -p -t dash | grep -q '└ $ID-web\.2'" || { show_screen; fail "slot 2's task is still shown"; }
	tmx send-keys -t dash q
	tmx send-keys -t dash Q
	wait_screen 20 DASHBOARD-EXITED
}

# Run first, before the suite makes the engine a manager: no services and
# no error from slipway containers.
containers_off_a_swarm_list_no_services() {
	$SLIPWAY containers --json --no-stats >c.json 2>err
	expect_eq "$(json c.json 'j["services"]')" "[]"
	expect_eq "$(cat err)" ""
}

# Run first, before the suite makes the engine a manager.
not_a_swarm_manager_is_a_clear_error() {
	project "[\"$ID-web\"]" "\"$ID-app:\$SLIPWAY_COMMIT\""
	exits 1 $SLIPWAY deploy --force 2>err
	grep -q "^slipway: deploy.target: the container engine at ${HOSTS[docker]} is not a swarm manager (\`docker swarm init\` makes it one): This node is not a swarm manager" err ||
		fail "$(cat err)"
}

trap cleanup EXIT
if ! engines_up; then
	echo "FAIL: engines_start"
	exit 1
fi
export DOCKER_HOST=${HOSTS[docker]}
# A swarm another run of this suite left (killed before engine.sh stop) is
# left first, so that every test runs every time.
docker swarm leave --force >/dev/null 2>&1 || true
t_run not_a_swarm_manager_is_a_clear_error
t_run containers_off_a_swarm_list_no_services
if ! "$ENGINE" swarm >/dev/null 2>&1; then
	echo "FAIL: swarm_init"
	exit 1
fi
t_run service_runs_the_tested_commit
t_run unhealthy_image_is_rolled_back_by_swarm
t_run second_service_failing_takes_the_first_back
t_run failed_health_url_takes_every_service_back
t_run rollback_asks_swarm_for_the_previous_spec
t_run image_from_a_registry_that_wants_credentials
t_run unknown_service_is_named
t_run podman_has_no_swarm
t_run containers_lists_the_services
t_run panel_shows_the_services
t_done
