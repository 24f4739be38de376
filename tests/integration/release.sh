# The reference pipeline end to end on `development`: setup, flake8, pytest
# with coverage, then a real image build, a smoke test of a container started
# from it, and a push to the local registry, on the private container engine.
# slow
# timeout: 1500
. "$SW_SRCDIR/tests/lib.sh"

engine_up() {
	"$SW_SRCDIR/scripts/engine.sh" start >/dev/null
	eval "$("$SW_SRCDIR/scripts/engine.sh" env)"
	"$SW_SRCDIR/scripts/base-image.sh" >/dev/null
}

development_builds_smokes_and_pushes() {
	engine_up || fail "the container engine or the base image could not start"
	$SLIPWAY demo "$PWD/demo" --no-run >/dev/null
	cd demo/sample
	local sha
	sha=$(git rev-parse development)
	$SLIPWAY run development --follow >out 2>&1 || { tail -40 out; fail "the development pipeline failed"; }
	local f
	f=$(run_json 1)
	expect_eq "$(json "$f" '[s["status"] for s in j["stages"]]')" \
		"['passed', 'passed', 'passed', 'passed', 'passed', 'passed', 'passed']"
	expect_eq "$(json "$f" 'j["missing_secrets"]')" "[]"
	$SLIPWAY log 1 smoke | grep -q 'healthy'
	curl -sf "http://$REGISTRY/v2/slipway-sample/tags/list" | grep -q "$sha"
	# the always-run cleanup stage removed the smoke container
	expect_eq "$(docker ps -aq --filter name=slipway-smoke-1)" ""
	docker rmi -f "slipway-sample:$sha" "$REGISTRY/slipway-sample:$sha" >/dev/null 2>&1 || true
}

t_run development_builds_smokes_and_pushes
t_done
