/* The status line: the last message, or the focused view's keys. */
#include "status.h"

#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prompt.h"
#include "tui.h"

void tui_set_status(struct tui *t, bool error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(t->status);
	if (vasprintf(&t->status, fmt, ap) < 0)
		t->status = NULL;
	va_end(ap);
	t->status_error = error;
}

/* The first key bound to a, as the hint line names it ("Enter", not
 * "<Enter>"); false when nothing is bound to it. */
static bool hint_key(struct tui *t, enum tui_action a, char *out, size_t n)
{
	for (int k = 0; k < TUI_KEY_SPACE; k++)
		if (t->settings.bindings[k] == (int)a) {
			if (k == KEY_LEFT || k == KEY_RIGHT) {
				snprintf(out, n, "%s", tui_glyph(t, k == KEY_LEFT ? TUI_G_LEFT : TUI_G_RIGHT));
				return true;
			}
			char name[16];
			tui_key_name(k, name, sizeof name);
			size_t len = strlen(name);
			if (len > 2 && name[0] == '<' && name[len - 1] == '>')
				snprintf(out, n, "%.*s", (int)len - 2, name + 1);
			else
				snprintf(out, n, "%s", name);
			return true;
		}
	return false;
}

/* "r run", or "j/k scroll" for a pair of actions. */
static bool hint_item(struct tui *t, const struct tui_hint *h, char *out, size_t n)
{
	char a[24], b[24];
	bool changes = h->a == TUI_ACT_RUN || h->a == TUI_ACT_CANCEL || h->a == TUI_ACT_CONTAINER_START ||
		       h->a == TUI_ACT_CONTAINER_STOP || h->a == TUI_ACT_CONTAINER_RESTART || h->a == TUI_ACT_DEPLOY ||
		       h->a == TUI_ACT_ROLLBACK;
	if (changes && t->settings.read_only)
		return false;
	if (!hint_key(t, h->a, a, sizeof a))
		return false;
	if (h->pair && hint_key(t, h->a + 1, b, sizeof b))
		snprintf(out, n, "%s/%s %s", a, b, h->word);
	else
		snprintf(out, n, "%s %s", a, h->word);
	return true;
}

/* The focused view's keys as bound now, as many as fit in width columns,
 * whole: what does not fit is an ellipsis, never half a word. */
static void status_hint(struct tui *t, int width, struct sbuf *out)
{
	struct tui_view *v = t->overlay ? t->overlay : t->focus;
	const char *sep = " · ";
	int used = 0, ell = 1 + tui_text_width(t, tui_glyph(t, TUI_G_ELLIPSIS));
	if (t->settings.read_only) {
		sbuf_adds(out, "read-only");
		used = tui_text_width(t, "read-only");
	}
	for (const struct tui_hint *h = v->ops->hints; h && h->word; h++) {
		char item[64];
		if (!hint_item(t, h, item, sizeof item))
			continue;
		int w = (used ? tui_text_width(t, sep) : 0) + tui_text_width(t, item);
		bool last = !h[1].word;
		if (used + w > width - (last ? 0 : ell)) {
			sbuf_addf(out, "%s%s", used ? " " : "", tui_glyph(t, TUI_G_ELLIPSIS));
			return;
		}
		sbuf_addf(out, "%s%s", used ? sep : "", item);
		used += w;
	}
}

void tui_status_draw(struct tui *t)
{
	int y = LINES - 1;
	tui_fill(y, 0, COLS, t->status_error ? TUI_C_ERROR : TUI_C_STATUS);
	if (t->prompt.mode != TUI_PROMPT_NONE) {
		tui_prompt_draw(t, y);
		return;
	}
	curs_set(0);
	enum tui_color c = t->status_error ? TUI_C_ERROR : TUI_C_STATUS;
	if (t->status) {
		tui_put_cut(t, y, 1, COLS - 2, c, t->status);
		return;
	}
	struct sbuf hint;
	sbuf_init(&hint);
	status_hint(t, COLS - 2, &hint);
	tui_put(t, y, 1, COLS - 2, c, hint.buf ? hint.buf : "");
	sbuf_free(&hint);
}

