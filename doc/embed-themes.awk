# Compiles themes/*.theme into a C table, so a slipway run from its build
# directory has the same four themes the data directory holds.
BEGIN { print "/* Generated from the files of themes/ by doc/embed-themes.awk. */"
	print "#include \"tui/settings.h\""
	print "const struct tui_builtin_theme tui_builtin_themes[] = {" }
FNR == 1 { if (NR > 1) print "\"},"; name = FILENAME; sub(/.*\//, "", name); sub(/\.theme$/, "", name)
	printf "\t{\"%s\", \"", name }
{ line = $0; gsub(/\\/, "\\\\", line); gsub(/"/, "\\\"", line); printf "%s\\n", line }
END { print "\"},"; print "\t{0, 0},"; print "};" }
