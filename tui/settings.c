/* Reading the dashboard's settings: `bind KEY ACTION`, `color ELEMENT FG BG
 * [ATTR...]` and `set OPTION VALUE` lines, one syntax for the built-in
 * defaults, the themes (which hold `color` lines only) and the user's file. */
#include "settings.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "slipway/suggest.h"
#include "tui.h"

const char *const tui_element_names[TUI_ELEMENTS] = {
	"normal", "title", "title-focus", "selected", "passed",
	"failed", "running", "dim", "status", "error",
};

static const char *const color_names[] = {
	"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
};

static const char *const option_names[] = {
	"theme", "bell", "mouse", "read-only", "confirm-protected", "protected",
};

#define COUNT(a) (sizeof a / sizeof *a)
#define MAX_WORDS 12

/* What a text may hold.  A theme may be picked by a repository, so it only
 * colours; the user's own file says everything. */
enum scope {
	SCOPE_ALL,
	SCOPE_COLORS,
	SCOPE_THEME,	/* the first pass over the user's file: `set theme` only */
};

struct line_ctx {
	struct tui_settings *s;
	enum scope scope;
	const char *origin;
	int lineno;
	char **err;
	char *theme_at;			/* "FILE:LINE" of the last `set theme` */
	int bound_at[TUI_KEY_SPACE];	/* line that bound a key in this text, 0 if none */
};

/* The message, at the line being read, with hint as the did-you-mean. */
__attribute__((format(printf, 3, 4)))
static int fail(struct line_ctx *c, const char *hint, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	*c->err = hint ? xasprintf("%s:%d: %s (did you mean \"%s\"?)", c->origin, c->lineno, msg, hint)
		       : xasprintf("%s:%d: %s", c->origin, c->lineno, msg);
	free(msg);
	return -1;
}

static int find_name(const char *word, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(word, names[i]))
			return (int)i;
	return -1;
}

static const char *action_names[TUI_ACT_COUNT];

static int find_action(const char *word)
{
	for (int a = 0; a < TUI_ACT_COUNT; a++)
		action_names[a] = tui_actions[a].name;
	return find_name(word, action_names, TUI_ACT_COUNT);
}

static int bind_line(struct line_ctx *c, char **w, int n)
{
	if (n != 3)
		return fail(c, NULL, "expected: bind KEY ACTION");
	int key = tui_key_parse(w[1]);
	if (key < 0 || key >= TUI_KEY_SPACE)
		return fail(c, NULL, "unknown key \"%s\" (a character, <Enter>, <C-x>, <F5>...)", w[1]);
	int a = strcmp(w[2], "none") ? find_action(w[2]) : -1;
	if (a < 0 && strcmp(w[2], "none"))
		return fail(c, sw_suggest(w[2], action_names, TUI_ACT_COUNT), "unknown action \"%s\"", w[2]);
	if (c->bound_at[key])
		strlist_addf(&c->s->warnings, "%s:%d: %s was bound already at line %d", c->origin,
			     c->lineno, w[1], c->bound_at[key]);
	c->bound_at[key] = c->lineno;
	c->s->bindings[key] = a;
	return 0;
}

static int parse_color(struct line_ctx *c, const char *word, short *out)
{
	int i;
	char *end;
	if (!strcmp(word, "default")) {
		*out = -1;
	} else if ((i = find_name(word, color_names, COUNT(color_names))) >= 0) {
		*out = (short)i;
	} else if (!strncmp(word, "bright", 6) && (i = find_name(word + 6, color_names, COUNT(color_names))) >= 0) {
		*out = (short)(i + 8);
	} else if (!strncmp(word, "color", 5) && (i = (int)strtol(word + 5, &end, 10)) >= 0 && i < 256 &&
		   !*end && word[5]) {
		*out = (short)i;
	} else {
		return fail(c, sw_suggest(word, color_names, COUNT(color_names)),
			    "unknown colour \"%s\" (default, red, brightred, color0..color255...)", word);
	}
	return 0;
}

static int parse_attrs(struct line_ctx *c, char **w, int n, unsigned *attrs)
{
	static const char *const names[] = {"bold", "dim", "reverse", "underline", "normal"};
	*attrs = 0;
	for (int i = 0; i < n; i++) {
		int k = find_name(w[i], names, COUNT(names));
		if (k < 0)
			return fail(c, sw_suggest(w[i], names, COUNT(names)), "unknown attribute \"%s\"", w[i]);
		if (k < 4)
			*attrs |= 1u << k;
	}
	return 0;
}

static int color_line(struct line_ctx *c, char **w, int n)
{
	if (n < 4)
		return fail(c, NULL, "expected: color ELEMENT FOREGROUND BACKGROUND [ATTRIBUTES]");
	int e = find_name(w[1], tui_element_names, TUI_ELEMENTS);
	if (e < 0)
		return fail(c, sw_suggest(w[1], tui_element_names, TUI_ELEMENTS), "unknown element \"%s\"", w[1]);
	struct tui_color_spec spec;
	if (parse_color(c, w[2], &spec.fg) || parse_color(c, w[3], &spec.bg) ||
	    parse_attrs(c, w + 4, n - 4, &spec.attrs))
		return -1;
	c->s->colors[e] = spec;
	return 0;
}

static int on_off(struct line_ctx *c, const char *word, bool *out)
{
	if (!strcmp(word, "on") || !strcmp(word, "yes") || !strcmp(word, "true"))
		*out = true;
	else if (!strcmp(word, "off") || !strcmp(word, "no") || !strcmp(word, "false"))
		*out = false;
	else
		return fail(c, NULL, "expected on or off, got \"%s\"", word);
	return 0;
}

static int set_line(struct line_ctx *c, char **w, int n)
{
	if (n < 3)
		return fail(c, NULL, "expected: set OPTION VALUE");
	int o = find_name(w[1], option_names, COUNT(option_names));
	struct tui_settings *s = c->s;
	switch (o) {
	case 0:
		if (!sw_theme_name_valid(w[2]))
			return fail(c, NULL, "invalid theme name \"%s\" (" SW_THEME_NAME_RULE ")", w[2]);
		free(s->theme);
		s->theme = xstrdup(w[2]);
		free(c->theme_at);
		c->theme_at = xasprintf("%s:%d", c->origin, c->lineno);
		return 0;
	case 1: return on_off(c, w[2], &s->bell);
	case 2: return on_off(c, w[2], &s->mouse);
	case 3: { bool ro; int r = on_off(c, w[2], &ro); s->read_only |= ro; return r; }
	case 4:
		if (strcmp(w[2], "typed") && strcmp(w[2], "enter"))
			return fail(c, NULL, "expected typed or enter, got \"%s\"", w[2]);
		s->confirm_typed = !strcmp(w[2], "typed");
		return 0;
	case 5:
		for (int i = 2; i < n; i++)
			if (!strlist_has(&s->protected, w[i]))
				strlist_add(&s->protected, w[i]);
		return 0;
	}
	return fail(c, sw_suggest(w[1], option_names, COUNT(option_names)), "unknown option \"%s\"", w[1]);
}

static int apply_line(struct line_ctx *c, char *line)
{
	char *w[MAX_WORDS];
	int n = sw_split_words(line, w, MAX_WORDS);
	if (n == 0 || w[0][0] == '#')
		return 0;
	if (c->scope == SCOPE_THEME && !(n >= 2 && !strcmp(w[0], "set") && !strcmp(w[1], "theme")))
		return 0;
	if (c->scope == SCOPE_COLORS && strcmp(w[0], "color"))
		return fail(c, NULL, "a theme holds only color lines");
	if (!strcmp(w[0], "bind"))
		return bind_line(c, w, n);
	if (!strcmp(w[0], "color"))
		return color_line(c, w, n);
	if (!strcmp(w[0], "set"))
		return set_line(c, w, n);
	static const char *const verbs[] = {"bind", "color", "set"};
	return fail(c, sw_suggest(w[0], verbs, 3), "unknown command \"%s\" (bind, color or set)", w[0]);
}

/* theme_at (may be NULL) gets where the text set the theme, if it did. */
static int apply_text(struct tui_settings *s, const char *text, const char *origin, enum scope scope,
		      char **theme_at, char **err)
{
	struct line_ctx *c = xcalloc(1, sizeof *c);
	c->s = s;
	c->scope = scope;
	c->origin = origin;
	c->err = err;
	int r = 0;
	for (const char *p = text; *p && !r;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = xstrndup(p, len);
		c->lineno++;
		r = apply_line(c, line);
		free(line);
		p += len + (nl ? 1 : 0);
	}
	if (theme_at && c->theme_at) {
		free(*theme_at);
		*theme_at = c->theme_at;
	} else {
		free(c->theme_at);
	}
	free(c);
	return r;
}

int tui_settings_apply(struct tui_settings *s, const char *text, const char *origin, char **err)
{
	return apply_text(s, text, origin, SCOPE_ALL, NULL, err);
}

void tui_settings_defaults(struct tui_settings *s)
{
	memset(s, 0, sizeof *s);
	for (int k = 0; k < TUI_KEY_SPACE; k++)
		s->bindings[k] = -1;
	for (int a = 0; a < TUI_ACT_COUNT; a++) {
		char keys[64];
		snprintf(keys, sizeof keys, "%s", tui_actions[a].keys);
		char *save = NULL;
		for (char *tok = strtok_r(keys, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
			int k = tui_key_parse(tok);
			if (k >= 0 && k < TUI_KEY_SPACE)
				s->bindings[k] = a;
		}
	}
	s->bell = true;
	s->confirm_typed = true;
	strlist_add(&s->protected, "main");
	strlist_add(&s->protected, "production");
}

/* ~/... in messages: the status line is short. */
static char *shown_path(const char *path)
{
	const char *home = getenv("HOME");
	size_t n = home ? strlen(home) : 0;
	if (n > 1 && !strncmp(path, home, n) && path[n] == '/')
		return xasprintf("~%s", path + n);
	return xstrdup(path);
}

static char *user_dir_file(const char *name)
{
	const char *env = getenv("SLIPWAY_CONFIG");
	if (env && *env && !strcmp(name, "config"))
		return xstrdup(env);
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	return xdg && *xdg ? xasprintf("%s/slipway/%s", xdg, name)
			   : xasprintf("%s/.config/slipway/%s", home ? home : ".", name);
}

/* The user's themes add to the built-in ones, and win on a name clash.
 * The name is checked here too, whoever gave it; where says who did
 * ("FILE:LINE", "--theme", "slipway.json: ui.theme"). */
static int load_theme(struct tui_settings *s, const char *name, const char *where, char **err)
{
	if (!sw_theme_name_valid(name)) {
		*err = xasprintf("%s: invalid theme name \"%s\" (%s)", where, name, SW_THEME_NAME_RULE);
		return -1;
	}
	char *file = xasprintf("themes/%s.theme", name);
	char *path = user_dir_file(file);
	free(file);
	char *text = sw_read_file(path, NULL);
	char *shown = shown_path(path);
	int r = -2;
	if (text)
		r = apply_text(s, text, shown, SCOPE_COLORS, NULL, err);
	for (size_t i = 0; r == -2 && tui_builtin_themes[i].name; i++)
		if (!strcmp(tui_builtin_themes[i].name, name))
			r = apply_text(s, tui_builtin_themes[i].text, name, SCOPE_COLORS, NULL, err);
	if (r == -2) {
		*err = xasprintf("%s: unknown theme \"%s\" (dark, light, high-contrast, mono, or %s)", where,
				 name, shown);
		r = -1;
	}
	free(shown);
	free(text);
	free(path);
	return r;
}

static void add_protected(struct tui_settings *s, const struct strlist *l)
{
	for (size_t i = 0; i < l->len; i++)
		if (!strlist_has(&s->protected, l->items[i]))
			strlist_add(&s->protected, l->items[i]);
}

static void check_unbound(struct tui_settings *s)
{
	bool has_key[TUI_ACT_COUNT] = {false};
	for (int k = 0; k < TUI_KEY_SPACE; k++)
		if (s->bindings[k] >= 0)
			has_key[s->bindings[k]] = true;
	for (int a = 0; a < TUI_ACT_COUNT; a++)
		if (!has_key[a])
			strlist_addf(&s->warnings, "%s has no key left (:%s still works)",
				     tui_actions[a].name, tui_actions[a].name);
}

/* The flag wins over the user's file, which wins over the repository.
 * *where is the user's "FILE:LINE" on the way in, who picked it on return. */
static const char *pick_theme(const struct tui_settings *s, const struct sw_config *repo, const char *flag,
			      const char **where)
{
	if (flag) {
		*where = "--theme";
		return flag;
	}
	if (s->theme)
		return s->theme;
	*where = repo && repo->ui_theme ? "slipway.json: ui.theme" : "the default theme";
	return repo && repo->ui_theme ? repo->ui_theme : "dark";
}

int tui_settings_load(struct tui_settings *s, const struct sw_config *repo, const char *theme_flag,
		      bool read_only_flag, char **err)
{
	tui_settings_defaults(s);
	char *path = user_dir_file("config");
	char *user = sw_read_file(path, NULL);
	char *shown = shown_path(path);
	/* A first pass takes only `set theme`: the theme's colours come before
	 * the user's own `color` lines, whatever their order in the file. */
	char *theme_at = NULL;
	int r = user ? apply_text(s, user, shown, SCOPE_THEME, &theme_at, err) : 0;
	const char *where = theme_at;
	char *theme = xstrdup(pick_theme(s, repo, theme_flag, &where));
	if (!r)
		r = load_theme(s, theme, where, err);
	if (!r && user)
		r = apply_text(s, user, shown, SCOPE_ALL, NULL, err);
	free(theme_at);
	free(shown);
	free(s->theme);
	s->theme = theme;
	if (repo) {
		add_protected(s, &repo->ui_protected);
		s->read_only |= repo->ui_read_only;
	}
	s->read_only |= read_only_flag;
	if (!r)
		check_unbound(s);
	free(user);
	free(path);
	return r;
}

bool tui_settings_protected(const struct tui_settings *s, const char *branch)
{
	return branch && strlist_has(&s->protected, branch);
}

void tui_settings_free(struct tui_settings *s)
{
	free(s->theme);
	strlist_free(&s->protected);
	strlist_free(&s->warnings);
	memset(s, 0, sizeof *s);
}
