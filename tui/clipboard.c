/* Copying through the terminal (OSC 52), which works over SSH; inside tmux
 * it needs `set -g set-clipboard on`.  What was copied is also said on the
 * status line, since many terminals give no sign of it. */
#include "tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void base64(struct sbuf *sb, const unsigned char *s, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) |
			     (i + 2 < n ? s[i + 2] : 0);
		char out[4] = {tab[v >> 18 & 63], tab[v >> 12 & 63], i + 1 < n ? tab[v >> 6 & 63] : '=',
			       i + 2 < n ? tab[v & 63] : '='};
		sbuf_add(sb, out, 4);
	}
}

void tui_copy(struct tui *t, const char *what, const char *text)
{
	struct sbuf seq;
	sbuf_init(&seq);
	sbuf_adds(&seq, "\033]52;c;");
	base64(&seq, (const unsigned char *)text, strlen(text));
	sbuf_adds(&seq, "\a");
	/* Headless (scripted) runs have no terminal to tell. */
	if (!t->headless && write(STDOUT_FILENO, seq.buf, seq.len) < 0)
		tui_set_status(t, true, "cannot write to the terminal");
	sbuf_free(&seq);
	tui_set_status(t, false, "copied %s: %.60s%s", what, text, strlen(text) > 60 ? "…" : "");
}
