# Stage options that the GitHub Actions importer writes: "allow_failure"
# and "cache" (restored before a stage, saved after it passed).
# timeout: 600
. "$SW_SRCDIR/tests/lib.sh"

allowed_failure_lets_the_run_pass() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [
  {"name": "lint", "run": "echo 3 findings; exit 1", "allow_failure": true},
  {"name": "test", "run": "echo tested"}]}
EOF2
	cd r
	$SLIPWAY run --follow >out
	grep -q 'run 1 passed' out
	grep -q '✗ lint failed (allowed)' out
	grep -q '✓ test passed' out
	local f
	f=$(run_json 1)
	expect_eq "$(json "$f" 'j["status"]')" passed
	expect_eq "$(json "$f" '[s["status"] for s in j["stages"]]')" "['failed', 'passed']"
	expect_eq "$(json "$f" 'j["stages"][0]["allowed_failure"]')" True
	expect_eq "$(json "$f" 'j["stages"][0]["reason"]')" "exit code 1"
	expect_eq "$(json "$f" '"allowed_failure" in j["stages"][1]')" False
}

# The gates are main's: allowing a stage to fail does not lift its gate.
allowed_failure_keeps_its_gates() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [
  {"name": "lint", "run": "echo 'a.py:1:1: E101 bad'; exit 1", "parse": "flake8", "allow_failure": true},
  {"name": "test", "run": "echo tested"}],
 "gates": {"lint_max": 0}}
EOF2
	cd r
	exits 1 $SLIPWAY run --follow >out
	local f
	f=$(run_json 1)
	expect_eq "$(json "$f" '[s["status"] for s in j["stages"]]')" "['failed', 'skipped']"
	expect_eq "$(json "$f" '"allowed_failure" in j["stages"][0]')" False
	expect_contains "$(json "$f" 'j["stages"][0]["reason"]')" "gate lint_max: 1 > 0"
}

cache_entries() {
	local d
	d="$(git rev-parse --git-common-dir)/slipway/cache"
	ls "$d" 2>/dev/null | grep -Ec '^[0-9a-f]{40}$' || true
}

# The key is the path and the key files' contents: another branch with
# the same requirements.txt restores what the first run saved.
cache_miss_then_hit_then_miss_on_a_new_key() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [
  {"name": "build", "run": "test -f out/made || echo \"run $SLIPWAY_RUN\" >out/made; cat out/made",
   "cache": [{"path": "out", "key": ["requirements.txt"]}]}]}
EOF2
	cd r
	mkdir out
	touch out/.keep
	commit_file requirements.txt "django==4.2"
	$SLIPWAY run --follow >out1
	$SLIPWAY log 1 build >log1
	expect_eq "$(head -1 log1 | sed 's/ (key.*//')" "cache miss out"
	grep -Eq '^cache saved out \(key [0-9a-f]{7}…, 0\.0 MiB\)$' log1
	expect_eq "$(cache_entries)" 1
	git checkout -q -b feature
	commit_file README "other" "Another commit"
	$SLIPWAY run --follow >out2
	$SLIPWAY log 2 build >log2
	expect_eq "$(head -1 log2)" "$(head -1 log1 | sed 's/miss/hit/')"
	expect_eq "$(sed -n 2p log2)" "run 1"
	! grep -q 'cache saved' log2
	commit_file requirements.txt "django==5.0"
	$SLIPWAY run --follow >out3
	$SLIPWAY log 3 build >log3
	expect_contains "$(head -1 log3)" "cache miss out"
	expect_eq "$(sed -n 2p log3)" "run 3"
	expect_eq "$(cache_entries)" 2
}

failed_stage_saves_nothing() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [
  {"name": "build", "run": "mkdir -p out && echo x >out/f && exit 1", "cache": [{"path": "out", "key": []}]}]}
EOF2
	cd r
	exits 1 $SLIPWAY run --follow >out
	expect_contains "$($SLIPWAY log 1 build)" "cache miss out"
	! $SLIPWAY log 1 build | grep -q 'cache saved'
	expect_eq "$(cache_entries)" 0
}

missing_key_file_warns_and_caches_nothing() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [
  {"name": "build", "run": "mkdir -p out", "cache": [{"path": "out", "key": ["requirements.txt"]}]}]}
EOF2
	cd r
	$SLIPWAY run --follow >out
	expect_contains "$(json "$(run_json 1)" 'j["warnings"]')" "stage build: cache of out not used: key file requirements.txt"
	expect_contains "$($SLIPWAY log 1 build | head -1)" "cache of out not used"
	expect_eq "$(cache_entries)" 0
}

# A venv names its work tree in its scripts: restored into the next run's
# work tree, it works there, scripts and activate included.
real_venv_is_restored_and_usable() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [
  {"name": "setup", "run": "/usr/bin/python3 -m venv --system-site-packages .venv && .venv/bin/pip install -q --no-index -r requirements.txt",
   "cache": [{"path": ".venv", "key": ["requirements.txt"]}]},
  {"name": "use", "run": ".venv/bin/python -m pip --version && .venv/bin/pip --version && . .venv/bin/activate && echo \"VIRTUAL_ENV=$VIRTUAL_ENV\" && pip --version"}]}
EOF2
	cd r
	commit_file requirements.txt ""
	$SLIPWAY run --follow >out1
	grep -q 'run 1 passed' out1
	git commit -q --allow-empty -m "Next"
	$SLIPWAY run --follow >out2
	grep -q 'run 2 passed' out2
	expect_contains "$($SLIPWAY log 2 setup | head -1)" "cache hit .venv"
	local work
	work="$(cd "$(git rev-parse --git-common-dir)" && pwd)/slipway/work/2"
	$SLIPWAY log 2 use >use
	expect_eq "$(grep -c "from $work/.venv/lib" use)" 3
	grep -qx "VIRTUAL_ENV=$work/.venv" use
	! grep -q 'work/1' use
	# The sample's own check, where Debian's flake8 is installed.
	if /usr/bin/python3 -m flake8 --version >/dev/null 2>&1; then
		cat >slipway.json <<'EOF2'
{"version": 1, "stages": [
  {"name": "setup", "run": "test -x .venv/bin/python", "cache": [{"path": ".venv", "key": ["requirements.txt"]}]},
  {"name": "lint", "run": ".venv/bin/python -m flake8 --version && . .venv/bin/activate && python -m flake8 --version"}]}
EOF2
		git commit -qam "Lint"
		$SLIPWAY run --follow >out3
		grep -q 'run 3 passed' out3
		expect_contains "$($SLIPWAY log 3 setup)" "cache hit .venv"
		expect_eq "$($SLIPWAY log 3 lint | grep -c 'pyflakes')" 2
	fi
}

home_path_is_under_home() {
	mkdir home
	export HOME=$PWD/home
	make_repo r <<'EOF2'
{"version": 1, "stages": [
  {"name": "build", "run": "mkdir -p ~/.cache/tool && echo $SLIPWAY_RUN >>~/.cache/tool/runs && rm -rf ~/.cache/tool.bak",
   "cache": [{"path": "~/.cache/tool", "key": []}]}]}
EOF2
	cd r
	$SLIPWAY run --follow >/dev/null
	expect_contains "$($SLIPWAY log 1 build)" "cache saved ~/.cache/tool"
	rm -rf "$HOME/.cache/tool"
	git commit -q --allow-empty -m "Next"
	$SLIPWAY run --follow >/dev/null
	expect_contains "$($SLIPWAY log 2 build)" "cache hit ~/.cache/tool"
	expect_eq "$(cat "$HOME/.cache/tool/runs" | tr '\n' ' ')" "1 2 "
}

# At most 20 entries: the least recently used go.
entries_are_bounded() {
	make_repo r <<'EOF2'
{"version": 1, "stages": [
  {"name": "build", "run": "for d in a b c d e f g h; do mkdir -p $d-$SLIPWAY_RUN; done",
   "cache": [{"path": "a-1"}, {"path": "b-1"}, {"path": "c-1"}, {"path": "d-1"}, {"path": "e-1"}, {"path": "f-1"}, {"path": "g-1"}, {"path": "h-1"}]}]}
EOF2
	cd r
	$SLIPWAY run --follow >/dev/null
	expect_eq "$(cache_entries)" 8
	local i
	for i in 2 3; do
		sed -i "s/-$((i - 1))\"/-$i\"/g" slipway.json
		git commit -qam "Run $i"
		$SLIPWAY run --follow >/dev/null
	done
	expect_eq "$(cache_entries)" 20
	git commit -q --allow-empty -m "Again"
	$SLIPWAY run --follow >/dev/null
	expect_eq "$($SLIPWAY log 4 build | grep -c 'cache hit')" 8
}

importer_output_passes_check_config() {
	git init -q -b main r
	cd r
	mkdir -p .github/workflows
	cp "$SW_SRCDIR/tests/fixtures/actions/reference.yml" .github/workflows/ci.yml
	$SLIPWAY init --from-actions 2>notes
	grep -q '"cache": \[{"path": "~/.cache/pip", "key": \["requirements.txt"\]}\]' slipway.json
	$SLIPWAY check-config >ok
	expect_contains "$(cat ok)" "ok (6 stages"
}

t_run allowed_failure_lets_the_run_pass
t_run allowed_failure_keeps_its_gates
t_run cache_miss_then_hit_then_miss_on_a_new_key
t_run failed_stage_saves_nothing
t_run missing_key_file_warns_and_caches_nothing
t_run real_venv_is_restored_and_usable
t_run home_path_is_under_home
t_run entries_are_bounded
t_run importer_output_passes_check_config
t_done
