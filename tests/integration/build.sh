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

t_run configure_says_nothing_on_stderr
t_done
