/* Drawing helpers: colours (NO_COLOR, 16/256/none), the glyph table with
 * its ASCII forms, and text from outside drawn neutralised and measured in
 * columns. */
#include "tui.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "slipway/util.h"

static attr_t attrs[TUI_C_COUNT];

static attr_t curses_attrs(unsigned a)
{
	return (a & TUI_ATTR_BOLD ? A_BOLD : 0) | (a & TUI_ATTR_DIM ? A_DIM : 0) |
	       (a & TUI_ATTR_REVERSE ? A_REVERSE : 0) | (a & TUI_ATTR_UNDERLINE ? A_UNDERLINE : 0);
}

/* Colours the terminal lacks fall back to the default, not to garbage. */
static short usable(short c)
{
	return c >= COLORS ? (c >= 8 && c < 16 && COLORS >= 8 ? (short)(c - 8) : -1) : c;
}

void tui_colors_init(struct tui *t)
{
	const char *nc = getenv("NO_COLOR");
	t->colors = has_colors() && !(nc && *nc);
	if (t->colors) {
		start_color();
		use_default_colors();
	}
	for (int i = 0; i < TUI_C_COUNT; i++) {
		const struct tui_color_spec *c = &t->settings.colors[i];
		attrs[i] = curses_attrs(c->attrs);
		if (!t->colors) {
			/* Without colour, a coloured state still needs to stand out. */
			if (i == TUI_C_SELECTED || i == TUI_C_STATUS || i == TUI_C_ERROR)
				attrs[i] |= A_REVERSE;
			continue;
		}
		if (c->fg >= 0 || c->bg >= 0) {
			init_pair((short)(i + 1), usable(c->fg), usable(c->bg));
			attrs[i] |= COLOR_PAIR(i + 1);
		}
	}
}

/* Columns of one character; control characters were neutralised already. */
static int char_width(wchar_t wc)
{
	int w = wcwidth(wc);
	return w < 0 ? 1 : w;
}

int tui_put_clean(struct tui *t, int y, int x, int w, enum tui_color c, const char *s, size_t len,
		  size_t *used_bytes)
{
	(void)t;
	mbstate_t st;
	memset(&st, 0, sizeof st);
	const char *p = s, *end = s + len;
	int used = 0;
	wmove(stdscr, y, x);
	attrset(attrs[c]);
	while (p < end) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, p, (size_t)(end - p), &st);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			wc = L'?';
			n = 1;
			memset(&st, 0, sizeof st);
		}
		int cw = char_width(wc);
		if (used + cw > w)
			break;
		/* Zero-width (combining) characters attach to the previous cell. */
		wchar_t one[2] = {wc, 0};
		if (cw > 0 || used > 0)
			addnwstr(one, 1);
		used += cw;
		p += n;
	}
	attrset(A_NORMAL);
	if (used_bytes)
		*used_bytes = (size_t)(p - s);
	return used;
}

static const struct {
	const char *utf8, *ascii;
} glyphs[TUI_G_COUNT] = {
#define TUI_GLYPH(id, utf8, ascii) [TUI_G_##id] = {utf8, ascii},
#include "glyphs.def"
#undef TUI_GLYPH
};

const char *tui_glyph(const struct tui *t, enum tui_glyph g)
{
	return t->utf8 ? glyphs[g].utf8 : glyphs[g].ascii;
}

/* Without UTF-8 every glyph of the table found in s takes its ASCII form;
 * other non-ASCII text is left to be drawn as '?'. */
static void to_ascii(struct sbuf *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		size_t g = TUI_G_COUNT;
		for (size_t k = 0; (unsigned char)s[i] >= 0x80 && k < TUI_G_COUNT && g == TUI_G_COUNT; k++)
			if (!strncmp(s + i, glyphs[k].utf8, strlen(glyphs[k].utf8)))
				g = k;
		if (g == TUI_G_COUNT) {
			sbuf_addc(out, s[i++]);
			continue;
		}
		sbuf_adds(out, glyphs[g].ascii);
		i += strlen(glyphs[g].utf8);
	}
}

/* s as it is drawn: neutralised, in the locale's glyphs. */
static void shown_text(const struct tui *t, struct sbuf *out, const char *s)
{
	struct sbuf clean;
	sbuf_init(&clean);
	sw_term_clean(&clean, s, strlen(s));
	if (t->utf8)
		sbuf_add(out, clean.buf ? clean.buf : "", clean.len);
	else
		to_ascii(out, clean.buf ? clean.buf : "", clean.len);
	sbuf_free(&clean);
}

int tui_text_width(const struct tui *t, const char *s)
{
	struct sbuf sb;
	sbuf_init(&sb);
	shown_text(t, &sb, s);
	mbstate_t st;
	memset(&st, 0, sizeof st);
	int cols = 0;
	for (const char *p = sb.buf, *end = sb.buf + sb.len; p < end;) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, p, (size_t)(end - p), &st);
		if (n == 0 || n > (size_t)(end - p)) {
			n = 1;
			wc = L'?';
			memset(&st, 0, sizeof st);
		}
		cols += char_width(wc);
		p += n;
	}
	sbuf_free(&sb);
	return cols;
}

int tui_put(struct tui *t, int y, int x, int w, enum tui_color c, const char *s)
{
	if (w <= 0 || !s)
		return 0;
	struct sbuf sb;
	sbuf_init(&sb);
	shown_text(t, &sb, s);
	int used = tui_put_clean(t, y, x, w, c, sb.buf ? sb.buf : "", sb.len, NULL);
	sbuf_free(&sb);
	return used;
}

int tui_put_cut(struct tui *t, int y, int x, int w, enum tui_color c, const char *s)
{
	if (w <= 0 || !s)
		return 0;
	if (tui_text_width(t, s) <= w)
		return tui_put(t, y, x, w, c, s);
	int used = tui_put(t, y, x, w - 1, c, s);
	return used + tui_put(t, y, x + used, 1, c, tui_glyph(t, TUI_G_ELLIPSIS));
}

void tui_fill(int y, int x, int w, enum tui_color c)
{
	attrset(attrs[c]);
	mvhline(y, x, ' ', w);
	attrset(A_NORMAL);
}

void tui_box_title(struct tui *t, struct tui_rect r, const char *title, bool focus)
{
	enum tui_color c = focus ? TUI_C_TITLE_FOCUS : TUI_C_TITLE;
	const char *dash = tui_glyph(t, TUI_G_RULE);
	struct sbuf line;
	sbuf_init(&line);
	for (int i = 0; i < r.w; i++)
		sbuf_adds(&line, dash);
	tui_put(t, r.y, r.x, r.w, c, line.buf);
	sbuf_free(&line);
	char buf[256];
	snprintf(buf, sizeof buf, " %s ", title);
	tui_put(t, r.y, r.x + 1, r.w - 2, c, buf);
}

/* A visible mark of the selected row: reverse video alone is lost in mono
 * and in text dumps. */
void tui_mark_selected(struct tui *t, int y, int x, bool focus)
{
	tui_put(t, y, x, 1, TUI_C_SELECTED, focus ? tui_glyph(t, TUI_G_MARK) : " ");
}

const char *tui_run_glyph(struct tui *t, enum sw_run_status s)
{
	switch (s) {
	case SW_RUN_PASSED: return tui_glyph(t, TUI_G_PASSED);
	case SW_RUN_FAILED: return tui_glyph(t, TUI_G_FAILED);
	case SW_RUN_RUNNING: return tui_glyph(t, TUI_G_SPIN_0 + t->spinner % 10);
	case SW_RUN_QUEUED: return tui_glyph(t, TUI_G_QUEUED);
	case SW_RUN_CANCELLED: return tui_glyph(t, TUI_G_CANCELLED);
	case SW_RUN_INTERRUPTED: return "!";
	}
	return "?";
}

const char *tui_stage_glyph(struct tui *t, enum sw_stage_status s)
{
	switch (s) {
	case SW_STAGE_PASSED: return tui_run_glyph(t, SW_RUN_PASSED);
	case SW_STAGE_FAILED: return tui_run_glyph(t, SW_RUN_FAILED);
	case SW_STAGE_RUNNING: return tui_run_glyph(t, SW_RUN_RUNNING);
	case SW_STAGE_CANCELLED: return tui_run_glyph(t, SW_RUN_CANCELLED);
	case SW_STAGE_SKIPPED: return "-";
	case SW_STAGE_PENDING: return tui_glyph(t, TUI_G_PENDING);
	}
	return "?";
}

enum tui_color tui_run_color(enum sw_run_status s)
{
	switch (s) {
	case SW_RUN_PASSED: return TUI_C_PASSED;
	case SW_RUN_FAILED: case SW_RUN_INTERRUPTED: return TUI_C_FAILED;
	case SW_RUN_RUNNING: case SW_RUN_QUEUED: return TUI_C_RUNNING;
	case SW_RUN_CANCELLED: return TUI_C_DIM;
	}
	return TUI_C_NORMAL;
}

enum tui_color tui_stage_color(enum sw_stage_status s)
{
	switch (s) {
	case SW_STAGE_PASSED: return TUI_C_PASSED;
	case SW_STAGE_FAILED: return TUI_C_FAILED;
	case SW_STAGE_RUNNING: return TUI_C_RUNNING;
	default: return TUI_C_DIM;
	}
}

void tui_draw_step(struct tui *t, int y, struct tui_rect r, bool sel, const struct tui_step *s)
{
	enum tui_color base = sel ? TUI_C_SELECTED : TUI_C_NORMAL;
	int name_w = s->name_w ? s->name_w : 16;
	tui_fill(y, r.x, r.w, base);
	if (sel)
		tui_mark_selected(t, y, r.x, true);
	int x = r.x + 1;
	tui_put(t, y, x, 1, sel ? base : tui_stage_color(s->status), tui_stage_glyph(t, s->status));
	x += 2;
	tui_put(t, y, x, name_w, base, s->name);
	x += name_w + 1;
	char dur[32] = "";
	if (s->status == SW_STAGE_RUNNING && s->started_ms)
		sw_format_duration(sw_now_ms() - s->started_ms, dur, sizeof dur);
	else if (s->duration_ms || s->status == SW_STAGE_PASSED || s->status == SW_STAGE_FAILED)
		sw_format_duration(s->duration_ms, dur, sizeof dur);
	tui_put(t, y, x, 8, base, dur);
	x += 9;
	tui_put(t, y, x, 9, sel ? base : tui_stage_color(s->status), sw_stage_status_name(s->status));
	x += 10;
	if (s->note)
		x += tui_put(t, y, x, r.x + r.w - x, sel ? base : TUI_C_DIM, s->note);
	if (s->reason)
		tui_put(t, y, x, r.x + r.w - x, sel ? base : TUI_C_DIM, s->reason);
}
