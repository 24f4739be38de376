# Turns tui/actions.def into roff .TP entries for the man page's key section.
/^TUI_ACTION_ENUM\(/ {
	n = split($0, q, "\"")
	name = q[2]; keys = q[4]; help = q[6]
	gsub(/\\/, "\\\\", help)
	gsub(/-/, "\\-", name)
	printf ".TP\n.B %s\n%s (\\fB:%s\\fR)\n", keys, help, name
}
