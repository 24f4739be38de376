/* Masking works on whole lines, so that a secret split across two reads
 * of the pipe is still found; a line too long to keep whole is cut, but
 * never through a secret. */
#include "lines.h"

#include <string.h>

void sw_lines_init(struct sw_lines *l, const struct sw_secrets *secrets, sw_line_fn *fn, void *ctx)
{
	memset(l, 0, sizeof *l);
	l->secrets = secrets;
	/* sw_secrets_collect refused longer secrets: none can be cut through. */
	size_t longest = sw_secrets_longest(secrets);
	l->hold = longest > 1 ? longest - 1 : 0;
	sbuf_init(&l->line);
	l->fn = fn;
	l->ctx = ctx;
}

static void emit_line(struct sw_lines *l, bool newline)
{
	sw_secrets_mask(l->secrets, &l->line);
	l->fn(l->ctx, l->line.buf ? l->line.buf : "", l->line.len, newline);
	sbuf_reset(&l->line);
}

/* The last bytes of a cut line, which could begin a secret, start the
 * next part raw, and the cut moves off any masked range (sw_secrets_cut). */
static void emit_part(struct sw_lines *l)
{
	struct sbuf masked;
	sbuf_init(&masked);
	size_t cut = sw_secrets_cut(l->secrets, l->line.buf, l->line.len, l->hold, &masked);
	l->fn(l->ctx, masked.buf ? masked.buf : "", masked.len, true);
	sbuf_free(&masked);
	memmove(l->line.buf, l->line.buf + cut, l->line.len - cut);
	l->line.len -= cut;
	l->line.buf[l->line.len] = '\0';
}

void sw_lines_feed(struct sw_lines *l, const char *buf, size_t n)
{
	while (n > 0) {
		const char *nl = memchr(buf, '\n', n);
		size_t take = nl ? (size_t)(nl - buf) : n;
		size_t room = SW_LINE_MAX - l->line.len;
		if (take > room) {
			sbuf_add(&l->line, buf, room);
			emit_part(l);
			buf += room;
			n -= room;
			continue;
		}
		sbuf_add(&l->line, buf, take);
		if (!nl)
			return;
		emit_line(l, true);
		buf += take + 1;
		n -= take + 1;
	}
}

void sw_lines_finish(struct sw_lines *l)
{
	if (l->line.len)
		emit_line(l, false);
}

void sw_lines_free(struct sw_lines *l)
{
	sbuf_free(&l->line);
}
