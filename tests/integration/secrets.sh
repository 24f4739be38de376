# Secret masking end to end: reports, overlapping secrets, the 64 KiB cut,
# multi-line values and secrets too long to mask.  Every value is made up
# here, at random: no fixture holds one.
# timeout: 600
. "$SW_SRCDIR/tests/lib.sh"

# random_word PREFIX: PREFIX and 16 random hex digits.
random_word() {
	printf '%s%s' "$1" "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
}

# no_secret_in_runs VALUE...: no file of the run store holds any VALUE.
no_secret_in_runs() {
	local v
	for v in "$@"; do
		! grep -rqF -- "$v" .git/slipway/runs || fail "found '$v' under .git/slipway/runs"
	done
}

# The stage writes the secret into a JUnit testcase name and failure
# message (once as a character reference, which only the parsed text
# shows) and into a Cobertura filename: neither run.json nor the kept
# reports may hold it.
reports_are_masked() {
	make_repo r <<'EOF2'
{"version": 1, "secrets": ["TOKEN_R"],
 "stages": [{"name": "test", "run": "sh write-reports.sh",
             "reports": {"junit": "junit.xml", "cobertura": "coverage.xml"}}]}
EOF2
	cd r
	cat >write-reports.sh <<'EOF2'
# The second message spells the secret's first letter as &#NN;.
first=$(printf '%d' "'$TOKEN_R")
rest=${TOKEN_R#?}
cat >"$SLIPWAY_REPORTS/junit.xml" <<EOF
<?xml version="1.0"?>
<testsuite name="s" tests="3" failures="2">
<testcase classname="t" name="test_$TOKEN_R"><failure message="got $TOKEN_R">trace</failure></testcase>
<testcase classname="t" name="test_ref"><failure message="ref &#$first;$rest">trace</failure></testcase>
<testcase classname="t" name="test_ok"/>
</testsuite>
EOF
cat >"$SLIPWAY_REPORTS/coverage.xml" <<EOF
<?xml version="1.0"?>
<coverage line-rate="0.5"><packages><package name="p"><classes>
<class name="c" filename="src/$TOKEN_R.py" line-rate="0.5"><lines/></class>
</classes></package></packages></coverage>
EOF
EOF2
	git add -A && git commit -q -m reports
	local secret
	secret=$(random_word rep)
	TOKEN_R=$secret $SLIPWAY run --follow >/dev/null
	local f
	f=$(run_json 1)
	expect_eq "$(json "$f" 'j["metrics"]["tests"]["failed"]')" 2
	expect_eq "$(json "$f" '[x["name"] for x in j["metrics"]["tests"]["failures"]]')" \
		"['t::test_***', 't::test_ref']"
	expect_eq "$(json "$f" '[x["message"] for x in j["metrics"]["tests"]["failures"]]')" \
		"['got ***', 'ref ***']"
	expect_eq "$(json "$f" '[x["path"] for x in j["metrics"]["coverage"]["files"]]')" "['src/***.py']"
	no_secret_in_runs "$secret"
}

# The shorter secret, listed first, must not be masked first: the rest of
# the longer one would show.
overlapping_secrets_are_masked_whole() {
	make_repo r <<'EOF2'
{"version": 1, "secrets": ["SHORT", "LONG"],
 "stages": [{"name": "show", "run": "echo \"a=$LONG b=$SHORT c=$SHORT$LONG\""}]}
EOF2
	cd r
	local short long
	short=$(random_word S3cr3t)
	long="$short-Tok3n-Val$(random_word x)"
	SHORT=$short LONG=$long $SLIPWAY run --follow >/dev/null
	expect_eq "$($SLIPWAY log 1)" "a=*** b=*** c=***"
	no_secret_in_runs "$short" "${long#"$short"}"
}

# A line over 64 KiB is cut.  On the first line the long secret runs
# across the 64 KiB mark and the short one, inside it, ends before it:
# masking the short one in the first part must not leave the long one's
# end to the second.  On the second the long one is whole but runs across
# the point where the cut would be made, so the cut moves before it.
long_secret_across_a_cut_is_masked() {
	make_repo r <<'EOF2'
{"version": 1, "secrets": ["SHORT", "LONG"],
 "stages": [{"name": "wide", "run": "sh wide.sh"}]}
EOF2
	cd r
	cat >wide.sh <<'EOF2'
pad() { head -c "$1" /dev/zero | tr '\0' x; }
pad 65500; printf '%s\n' "$LONG"
pad 65476; printf '%s\n' "$LONG"
EOF2
	git add -A && git commit -q -m wide
	local short long
	short=$(random_word s3)
	long="mid-$short-Tok3n-Val-$(random_word y)"
	SHORT=$short LONG=$long $SLIPWAY run --follow >/dev/null
	local log=.git/slipway/runs/1/logs/wide.log
	expect_eq "$(tr -d 'x*\n' <$log)" ""
	expect_eq "$(grep -o '\*\*\*' $log | wc -l)" 2
	no_secret_in_runs "$short" "Tok3n" "mid-"
}

# Output is masked a line at a time, so each line of a multi-line value is
# masked on its own; lines under 4 bytes are not.
multi_line_secret_is_masked_line_by_line() {
	make_repo r <<'EOF2'
{"version": 1, "secrets": ["CERT"],
 "stages": [{"name": "show", "run": "printf '%s\\n' \"$CERT\""}]}
EOF2
	cd r
	local l1 l2 cert
	l1=$(random_word first)
	l2=$(random_word second)
	cert=$(printf -- '-----BEGIN TEST-----\r\n%s\n%s\nab\n-----END TEST-----' "$l1" "$l2")
	CERT=$cert $SLIPWAY run --follow >/dev/null
	expect_eq "$($SLIPWAY log 1)" "$(printf '***\r\n***\n***\nab\n***')"
	no_secret_in_runs "$l1" "$l2" "BEGIN TEST" "END TEST"
}

# run_to_err: slipway run, its errors to the file err.
run_to_err() {
	$SLIPWAY run >out 2>err
}

# A secret longer than the 64 KiB cut keeps back could be cut through:
# the run is refused, naming the secret, never showing its value.
too_long_secret_is_refused() {
	make_repo r <<'EOF2'
{"version": 1, "secrets": ["BIG_TOKEN"], "stages": [{"name": "show", "run": "echo hi"}]}
EOF2
	cd r
	local big
	big=$(head -c 40000 /dev/urandom | base64 -w0 | head -c 40000)
	BIG_TOKEN=$big exits 2 run_to_err
	expect_contains "$(cat err)" "secret BIG_TOKEN is 40000 bytes long: slipway masks secrets of at most 32768 bytes"
	! grep -qF -- "${big:0:32}" err || fail "the error shows the value"
	[ ! -e .git/slipway/runs/1 ] || fail "a run was created"
	BIG_TOKEN=$(printf 'short line\n%s' "$big") exits 2 run_to_err
	expect_contains "$(cat err)" "secret BIG_TOKEN has a line of 40000 bytes"
	! grep -qF -- "${big:0:32}" err || fail "the error shows the value"
	[ ! -e .git/slipway/runs/1 ] || fail "a run was created"
	BIG_TOKEN=${big:0:32768} $SLIPWAY run --follow >/dev/null
	expect_eq "$(run_status 1)" passed
}

# pass_env hands main's named variables over as they are: an address is
# shown in the log, a secret beside it is still masked, a variable nobody
# named stays out, and one not set is a warning of a run that goes on.
pass_env_is_not_masked() {
	make_repo r <<'EOF2'
{"version": 1, "secrets": ["TOKEN_P"], "pass_env": ["REG_ADDR", "NOT_SET_HERE"],
 "stages": [{"name": "show", "run": "echo \"reg=$REG_ADDR token=$TOKEN_P other=${OTHER_VAR-unset} nsh=${NOT_SET_HERE-unset}\""}]}
EOF2
	cd r
	local token
	token=$(random_word t)
	unset NOT_SET_HERE
	REG_ADDR=127.0.0.1:5000 TOKEN_P=$token OTHER_VAR=x $SLIPWAY run --follow >../out 2>../err
	expect_eq "$($SLIPWAY log 1 show)" "reg=127.0.0.1:5000 token=*** other=unset nsh=unset"
	expect_eq "$(cat ../err)" "slipway: warning: pass_env NOT_SET_HERE is not set in the environment of slipway run: the stages run without it"
	grep -q '^warning: pass_env NOT_SET_HERE is not set' ../out
	expect_eq "$(run_status 1)" passed
	no_secret_in_runs "$token"
	# A branch cannot name more: pass_env is main's, as secrets are.
	git checkout -q -b feature
	sed -i 's/"NOT_SET_HERE"/"OTHER_VAR"/' slipway.json
	sed -i 's/nsh=/ov=$OTHER_VAR nsh=/' slipway.json
	git commit -q -am "Ask for OTHER_VAR"
	NOT_SET_HERE=y REG_ADDR=a OTHER_VAR=x $SLIPWAY run --follow >/dev/null 2>&1
	expect_eq "$($SLIPWAY log 2 show)" "reg=a token= other=unset ov= nsh=y"
}

t_run reports_are_masked
t_run pass_env_is_not_masked
t_run overlapping_secrets_are_masked_whole
t_run long_secret_across_a_cut_is_masked
t_run multi_line_secret_is_masked_line_by_line
t_run too_long_secret_is_refused
t_done
