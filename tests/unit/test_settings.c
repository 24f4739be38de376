/* The dashboard's settings language (tui/settings.c): what each line sets,
 * and the message, with file and line, of each it refuses. */
#include "unit.h"

#include "tui/settings.h"
#include "tui/tui.h"

static char *apply(struct tui_settings *s, const char *text)
{
	char *err = NULL;
	if (tui_settings_apply(s, text, "config", &err) == 0)
		return NULL;
	return err ? err : strdup("(no message)");
}

static void lines_set_what_they_say(void)
{
	struct tui_settings s;
	tui_settings_defaults(&s);
	CHECK_INT(s.bindings['r'], TUI_ACT_RUN);
	CHECK(s.bell && !s.mouse && s.confirm_typed);
	char *err = apply(&s, "# comment\n\nbind x run\nset bell off\nset mouse on\n"
			      "set confirm-protected enter\ncolor title brightred color17 bold underline\n");
	CHECK(err == NULL);
	free(err);
	CHECK_INT(s.bindings['x'], TUI_ACT_RUN);
	CHECK(!s.bell && s.mouse && !s.confirm_typed);
	CHECK_INT(s.colors[1].fg, 9);	/* "title" */
	CHECK_INT(s.colors[1].bg, 17);
	CHECK_INT(s.colors[1].attrs, TUI_ATTR_BOLD | TUI_ATTR_UNDERLINE);
	tui_settings_free(&s);
}

static void refusals_name_file_and_line(void)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{"bind x\n", "config:1: expected: bind KEY ACTION"},
		{"\nbind x rnu\n", "config:2: unknown action \"rnu\" (did you mean \"run\"?)"},
		{"bind <Nope> run\n", "config:1: unknown key \"<Nope>\" (a character, <Enter>, <C-x>, <F5>...)"},
		{"color title rde default\n",
		 "config:1: unknown colour \"rde\" (default, red, brightred, color0..color255...) "
		 "(did you mean \"red\"?)"},
		{"color titel red default\n", "config:1: unknown element \"titel\" (did you mean \"title\"?)"},
		{"color title red default blod\n", "config:1: unknown attribute \"blod\" (did you mean \"bold\"?)"},
		{"set bell maybe\n", "config:1: expected on or off, got \"maybe\""},
		{"set mosue on\n", "config:1: unknown option \"mosue\" (did you mean \"mouse\"?)"},
		{"set theme ../x\n", "config:1: invalid theme name \"../x\" (" SW_THEME_NAME_RULE ")"},
		{"frobnicate\n", "config:1: unknown command \"frobnicate\" (bind, color or set)"},
		{"bnid x run\n", "config:1: unknown command \"bnid\" (bind, color or set) (did you mean \"bind\"?)"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct tui_settings s;
		tui_settings_defaults(&s);
		char *err = apply(&s, cases[i].text);
		CHECK_STR(err, cases[i].err);
		free(err);
		tui_settings_free(&s);
	}
}

static void a_key_bound_twice_is_a_warning(void)
{
	struct tui_settings s;
	tui_settings_defaults(&s);
	char *err = apply(&s, "bind x run\nbind x help\n");
	CHECK(err == NULL);
	free(err);
	CHECK_INT(s.bindings['x'], TUI_ACT_HELP);
	CHECK_INT(s.warnings.len, 1);
	CHECK_STR(s.warnings.len ? s.warnings.items[0] : NULL, "config:2: x was bound already at line 1");
	tui_settings_free(&s);
}

int main(void)
{
	RUN_TEST(lines_set_what_they_say);
	RUN_TEST(refusals_name_file_and_line);
	RUN_TEST(a_key_bound_twice_is_a_warning);
	UNIT_EXIT();
}
