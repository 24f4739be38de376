# slipway init --from-actions: a GitHub Actions workflow in a real git
# repository becomes a slipway.json whose stages run.
# timeout: 300
. "$SW_SRCDIR/tests/lib.sh"

# A repository on main with a workflow of plain shell steps.
workflow_repo() {
	git init -q -b main r
	mkdir -p r/.github/workflows r/docs
	printf 'hello\n' >r/README
	printf '# docs\n' >r/docs/index.md
	cat >r/.github/workflows/ci.yml <<'EOF'
name: CI
on:
  push:
env:
  GREETING: hello
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Greet
        run: echo "$GREETING from ${{ github.ref_name }} at ${{ github.sha }}"
      - name: Files
        run: |
          test -f README
          test ! -f missing
      - name: In docs
        working-directory: docs
        run: test -f index.md && echo "in $(basename "$PWD")"
  after:
    needs: check
    steps:
      - name: Only on development
        if: github.ref == 'refs/heads/development'
        run: echo dev-only
      - name: Secret
        run: test '${{ secrets.API_TOKEN }}' = s3cret && echo secret-ok
EOF
	git -C r add -A
	git -C r commit -q -m "Add the workflow"
}

stage_statuses() {
	json "$(run_json "$1")" '" ".join(s["name"] + "=" + s["status"] for s in j["stages"])'
}

translated_stages_run() {
	workflow_repo
	cd r
	$SLIPWAY init --from-actions >out
	grep -q '^note: .github/workflows/ci.yml:10: job check, step 1 (actions/checkout@v4) left out' out
	grep -q '^note: .*secrets API_TOKEN' out
	grep -q '^wrote .*slipway.json: 5 stages from .github/workflows/ci.yml' out
	$SLIPWAY check-config | grep -q 'ok (5 stages, 0 gates, 1 secrets)'
	expect_eq "$(json slipway.json 'j["stages"][3]["branches"]')" "['development']"
	git add slipway.json
	git commit -q -m "Pipeline from the workflow"
	API_TOKEN=s3cret $SLIPWAY run --follow >follow
	expect_eq "$(stage_statuses 1)" "greet=passed files=passed in-docs=passed only-on-development=skipped secret=passed"
	expect_eq "$($SLIPWAY log 1 greet)" "hello from main at $(git rev-parse HEAD)"
	expect_eq "$($SLIPWAY log 1 in-docs)" "in docs"
	expect_eq "$($SLIPWAY log 1 secret)" "secret-ok"
	git checkout -q -b development
	API_TOKEN=s3cret $SLIPWAY run development --follow >follow
	expect_eq "$(stage_statuses 2)" "greet=passed files=passed in-docs=passed only-on-development=passed secret=passed"
	expect_eq "$($SLIPWAY log 2 only-on-development)" "dev-only"
}

failing_step_fails_the_stage() {
	workflow_repo
	cd r
	rm README
	git commit -q -am "No README"
	$SLIPWAY init --from-actions >/dev/null
	git add slipway.json
	git commit -q -m "Pipeline"
	# The first line of a step of two fails it, as bash -e would.
	exits 1 $SLIPWAY run --follow >follow
	expect_eq "$(stage_statuses 1)" "greet=passed files=failed in-docs=skipped only-on-development=skipped secret=skipped"
}

force_replaces_refusal_keeps() {
	workflow_repo
	cd r
	printf '{"version": 1, "stages": [{"name": "mine", "run": "true"}]}\n' >slipway.json
	exits 2 $SLIPWAY init --from-actions 2>err
	grep -q 'slipway.json already exists (--force replaces it)' err
	expect_eq "$(json slipway.json 'j["stages"][0]["name"]')" mine
	$SLIPWAY init --from-actions --force >out
	expect_eq "$(json slipway.json 'j["stages"][0]["name"]')" greet
	expect_eq "$(json slipway.json 'j["integration"]')" development
}

plain_init_points_to_actions() {
	workflow_repo
	cd r
	$SLIPWAY init >out
	expect_eq "$(grep -c -- '--from-actions' out)" 1
	grep -q '^hint: `slipway init --from-actions --force` translates the GitHub Actions workflow .github/workflows/ci.yml$' out
	cd ..
	git init -q -b main plain
	cd plain
	$SLIPWAY init >out
	expect_eq "$(grep -c -- '--from-actions' out)" 0
}

several_workflows_say_which() {
	workflow_repo
	cd r
	cp .github/workflows/ci.yml .github/workflows/release.yaml
	sed -i 's/name: Greet/name: Release greet/' .github/workflows/release.yaml
	cp .github/workflows/ci.yml .github/workflows/a-lint.yml
	sed -i 's/name: Greet/name: Lint greet/' .github/workflows/a-lint.yml
	$SLIPWAY init --from-actions >out
	grep -q '^taking .github/workflows/a-lint.yml$' out
	grep -q 'also there.*: .github/workflows/ci.yml$' out
	grep -q 'also there.*: .github/workflows/release.yaml$' out
	expect_eq "$(json slipway.json 'j["stages"][0]["name"]')" lint-greet
	$SLIPWAY init --force --from-actions .github/workflows/release.yaml >out
	expect_eq "$(grep -c '^taking' out)" 0
	expect_eq "$(json slipway.json 'j["stages"][0]["name"]')" release-greet
}

one_stage_is_singular() {
	git init -q -b main r
	cd r
	mkdir -p .github/workflows
	printf 'on: push\njobs:\n  a:\n    steps:\n      - run: echo one\n' >.github/workflows/ci.yml
	$SLIPWAY init --from-actions >out
	grep -q '^wrote .*slipway.json: 1 stage from .github/workflows/ci.yml;' out
}

errors_write_nothing() {
	git init -q -b main r
	cd r
	exits 2 $SLIPWAY init --from-actions 2>err
	grep -q 'no workflow in .*/.github/workflows (name one: --from-actions FILE)' err
	mkdir -p .github/workflows
	printf 'on: push\njobs:\n  a:\n    steps:\n      - run: "unterminated\n' >.github/workflows/ci.yml
	exits 2 $SLIPWAY init --from-actions 2>err
	grep -q '^slipway: .github/workflows/ci.yml:6:1: found unexpected end of stream' err
	[ ! -e slipway.json ]
	exits 2 $SLIPWAY init --from-actions missing.yml 2>err
	grep -q 'missing.yml: cannot read' err
	exits 2 $SLIPWAY init --from-actions a.yml b.yml 2>err
	grep -q '^usage: slipway init' err
	[ ! -e slipway.json ]
}

t_run translated_stages_run
t_run failing_step_fails_the_stage
t_run force_replaces_refusal_keeps
t_run plain_init_points_to_actions
t_run several_workflows_say_which
t_run one_stage_is_singular
t_run errors_write_nothing
t_done
