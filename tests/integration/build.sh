# Build hygiene: configure speaks only through its own messages.
# timeout: 300
. "$SW_SRCDIR/tests/lib.sh"

# core/ is a directory in a build tree too, and autoconf's exit trap used to
# `rm -f core` there: "rm: cannot remove 'core': Is a directory" on every run.
configure_says_nothing_on_stderr() {
	[ -x "$SW_SRCDIR/configure" ] || fail "no configure in $SW_SRCDIR: run autoreconf -fi"
	"$SW_SRCDIR/configure" >out 2>err || { cat err >&2; fail "configure failed"; }
	expect_eq "$(cat err)" ""
	[ -d core ] || fail "configure made no core/ directory for the objects"
	! ls -d conftest* confdefs* 2>/dev/null || fail "configure left its temporary files"
}

# An installed slipway must not look in the tree it was built from: the
# build finds the sample through the link beside the binary instead.
no_source_path_in_the_binary() {
	! grep -qaF "$SW_SRCDIR" "$SLIPWAY" || fail "$SLIPWAY holds the source path $SW_SRCDIR"
	[ "$(readlink "$(dirname "$SLIPWAY")/slipway-sample")" = "$SW_SRCDIR/examples/sample" ] ||
		fail "no slipway-sample link beside $SLIPWAY"
	env -u SLIPWAY_SAMPLE "$SLIPWAY" demo --no-run "$PWD/d" >out
	[ -f d/sample/manage.py ] || fail "the demo did not start from the sample: $(cat out)"
	# A binary with no link beside it and nothing installed says so.
	cp "$SLIPWAY" ./lone
	rc=0
	env -u SLIPWAY_SAMPLE ./lone demo --no-run "$PWD/e" 2>err || rc=$?
	expect_eq "$rc" 2
	expect_contains "$(cat err)" "the sample project was not found"
}

# What ./demo installs and the README names: the binary, both man pages,
# the completion and the sample; and the installed binary, with no link
# beside it, finds no source tree.
install_puts_everything_in_place() {
	make -s -C "$SW_BUILDDIR" install DESTDIR="$PWD/root" >out 2>&1 || { cat out >&2; fail "make install failed"; }
	local p=$PWD/root/usr/local
	for f in bin/slipway share/man/man1/slipway.1 share/man/man5/slipway.json.5 \
		share/bash-completion/completions/slipway share/slipway/examples/sample/manage.py; do
		[ -e "$p/$f" ] || fail "make install left out $f"
	done
	[ ! -e "$p/bin/slipway-sample" ] || fail "the sample link was installed"
	"$p/bin/slipway" --version >/dev/null
	grep -q '^\.TH' "$p/share/man/man5/slipway.json.5" || fail "slipway.json(5) is no man page"
}

t_run configure_says_nothing_on_stderr
t_run install_puts_everything_in_place
t_run no_source_path_in_the_binary
t_done
