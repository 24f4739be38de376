/* The JSON recogniser behind slipway.json's syntax errors.  cJSON says only
 * where it gave up, often past the mistake (a trailing comma shows at the
 * closing brace), so a text it refused is scanned again by this small
 * recogniser, which knows the common mistakes.  It is as lenient as cJSON
 * (whitespace, numbers) so it stops at the same problem. */
#include "slipway/json_check.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "slipway/util.h"

#define NESTING_MAX 1000	/* cJSON's CJSON_NESTING_LIMIT */

/* Bytes of the valid UTF-8 character at p that is fit for a terminal
 * (not a C1 control), or 0. */
static size_t utf8_char_len(const char *p, size_t avail)
{
	unsigned char c = (unsigned char)p[0];
	size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
	if (n == 0 || n > avail || (c == 0xc2 && (unsigned char)p[1] < 0xa0))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (((unsigned char)p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

struct scan {
	const char *s;
	size_t len;
	size_t pos;
	int depth;
	size_t err_pos;
	char *err;
};

static bool scan_error(struct scan *sc, size_t pos, char *msg)
{
	if (sc->err) {
		free(msg);
		return false;
	}
	sc->err = msg;
	sc->err_pos = pos;
	return false;
}

static int peek(const struct scan *sc)
{
	return sc->pos < sc->len ? (unsigned char)sc->s[sc->pos] : -1;
}

static void scan_ws(struct scan *sc)
{
	while (sc->pos < sc->len && (unsigned char)sc->s[sc->pos] <= ' ')
		sc->pos++;
}

static bool is_word_char(int ch)
{
	return ch >= 0 && ch < 0x80 && (isalnum(ch) || ch == '_');
}

static bool starts_value(int ch)
{
	return ch == '"' || ch == '{' || ch == '[' || ch == '-' || is_word_char(ch);
}

/* What the scanner found at pos, for "unexpected ..." messages. */
static char *found_at(const struct scan *sc, size_t pos)
{
	if (pos >= sc->len)
		return xstrdup("end of file");
	const char *p = sc->s + pos;
	unsigned char c = (unsigned char)*p;
	size_t n = 1;
	if (c == '\'')
		return xstrdup("single quote");
	if (is_word_char(c)) {
		while (pos + n < sc->len && n < 20 && is_word_char((unsigned char)p[n]))
			n++;
	} else if (c >= 0x80) {
		n = utf8_char_len(p, sc->len - pos);
	}
	if (n == 0 || c < 0x20 || c == 0x7f)
		return xasprintf("byte 0x%02x", c);
	return xasprintf("'%.*s'", (int)n, p);
}

static const char *hint_for(int ch)
{
	if (ch == '\'')
		return " (strings need double quotes)";
	if (ch == '/' || ch == '#')
		return " (JSON has no comments)";
	return "";
}

static bool scan_unexpected(struct scan *sc, const char *hint)
{
	char *what = found_at(sc, sc->pos);
	scan_error(sc, sc->pos, xasprintf("unexpected %s%s", what, hint));
	free(what);
	return false;
}

static bool scan_expected(struct scan *sc, const char *what)
{
	if (sc->pos >= sc->len)
		return scan_error(sc, sc->pos, xstrdup("unexpected end of file"));
	char *found = found_at(sc, sc->pos);
	scan_error(sc, sc->pos,
		   xasprintf("expected %s, found %s%s", what, found, hint_for(peek(sc))));
	free(found);
	return false;
}

static long hex4(const struct scan *sc, size_t at)
{
	long v = 0;
	for (size_t i = at; i < at + 4; i++) {
		if (i >= sc->len || !isxdigit((unsigned char)sc->s[i]))
			return -1;
		int c = tolower((unsigned char)sc->s[i]);
		v = v * 16 + (isdigit(c) ? c - '0' : c - 'a' + 10);
	}
	return v;
}

/* \uXXXX, where cJSON refuses unpaired UTF-16 surrogates. */
static bool scan_unicode(struct scan *sc)
{
	size_t at = sc->pos;
	long cp = hex4(sc, at + 2);
	if (cp < 0 || (cp >= 0xdc00 && cp <= 0xdfff))
		return scan_error(sc, at, xstrdup("invalid \\u escape in string"));
	sc->pos += 6;
	if (cp < 0xd800 || cp > 0xdbff)
		return true;
	const char *p = sc->s + sc->pos;
	long lo = sc->pos + 1 < sc->len && p[0] == '\\' && p[1] == 'u' ? hex4(sc, sc->pos + 2) : -1;
	if (lo < 0xdc00 || lo > 0xdfff)
		return scan_error(sc, at, xstrdup("invalid \\u escape in string (unpaired surrogate)"));
	sc->pos += 6;
	return true;
}

static bool scan_escape(struct scan *sc, size_t start)
{
	size_t at = sc->pos;
	if (at + 1 >= sc->len)
		return scan_error(sc, start, xstrdup("unterminated string"));
	char e = sc->s[at + 1];
	if (e == 'u')
		return scan_unicode(sc);
	if (!strchr("\"\\/bfnrt", e)) {
		if (e > ' ' && e < 0x7f)
			return scan_error(sc, at, xasprintf("invalid escape '\\%c' in string", e));
		return scan_error(sc, at, xstrdup("invalid escape in string"));
	}
	sc->pos += 2;
	return true;
}

/* cJSON lets raw control characters into strings, but a raw newline means
 * the closing quote was forgotten: report that, at the opening quote. */
static bool scan_string(struct scan *sc)
{
	size_t start = sc->pos++;
	while (sc->pos < sc->len && sc->s[sc->pos] != '\n') {
		char ch = sc->s[sc->pos];
		if (ch == '"') {
			sc->pos++;
			return true;
		}
		if (ch != '\\')
			sc->pos++;
		else if (!scan_escape(sc, start))
			return false;
	}
	return scan_error(sc, start, xstrdup("unterminated string"));
}

static bool scan_digits(struct scan *sc, size_t *p)
{
	size_t from = *p;
	while (*p < sc->len && isdigit((unsigned char)sc->s[*p]))
		(*p)++;
	return *p > from;
}

/* Like cJSON's strtod: a sign, digits, an optional fraction and exponent. */
static bool scan_number(struct scan *sc)
{
	size_t p = sc->pos;
	if (sc->s[p] == '-')
		p++;
	bool digits = scan_digits(sc, &p);
	if (p < sc->len && sc->s[p] == '.') {
		p++;
		digits |= scan_digits(sc, &p);
	}
	if (!digits)
		return scan_error(sc, sc->pos, xstrdup("invalid number"));
	if (p < sc->len && (sc->s[p] == 'e' || sc->s[p] == 'E')) {
		size_t q = p + 1;
		if (q < sc->len && (sc->s[q] == '+' || sc->s[q] == '-'))
			q++;
		if (scan_digits(sc, &q))
			p = q;
	}
	sc->pos = p;
	return true;
}

static bool scan_literal(struct scan *sc)
{
	static const char *const lits[] = {"true", "false", "null"};
	size_t left = sc->len - sc->pos, n = 0;
	for (size_t i = 0; i < 3; i++) {
		size_t l = strlen(lits[i]);
		if (left >= l && memcmp(sc->s + sc->pos, lits[i], l) == 0) {
			sc->pos += l;
			return true;
		}
		if (left >= l && strncasecmp(sc->s + sc->pos, lits[i], l) == 0)
			n = l;
	}
	return scan_unexpected(sc, n ? " (true, false and null are lower case)"
				     : " (strings need double quotes)");
}

static bool scan_value(struct scan *sc);

static bool scan_member(struct scan *sc)
{
	int ch = peek(sc);
	if (ch == '"') {
		if (!scan_string(sc))
			return false;
		scan_ws(sc);
		if (peek(sc) != ':')
			return scan_expected(sc, "':' after the key");
		sc->pos++;
		return scan_value(sc);
	}
	if (!is_word_char(ch))
		return scan_expected(sc, "a key in double quotes");
	char *word = found_at(sc, sc->pos);
	scan_error(sc, sc->pos, xasprintf("unquoted key %s (keys need double quotes)", word));
	free(word);
	return false;
}

static bool scan_no_comma(struct scan *sc, size_t value_end, char close)
{
	if (starts_value(peek(sc)))
		return scan_error(sc, value_end,
				  xstrdup(close == '}' ? "missing comma between members"
						       : "missing comma between elements"));
	char what[] = "',' or 'x'";
	what[8] = close;
	return scan_expected(sc, what);
}

/* An object (close '}') or array (close ']'). */
static bool scan_container(struct scan *sc, char close)
{
	if (++sc->depth > NESTING_MAX)
		return scan_error(sc, sc->pos, xstrdup("nesting too deep"));
	sc->pos++;
	scan_ws(sc);
	for (bool first = true;; first = false) {
		if (first && peek(sc) == close)
			break;
		if (!(close == '}' ? scan_member(sc) : scan_value(sc)))
			return false;
		size_t value_end = sc->pos;
		scan_ws(sc);
		if (peek(sc) == close)
			break;
		if (peek(sc) != ',')
			return scan_no_comma(sc, value_end, close);
		size_t comma = sc->pos++;
		scan_ws(sc);
		if (peek(sc) == close)
			return scan_error(sc, comma, xasprintf("trailing comma before '%c'", close));
	}
	sc->pos++;
	sc->depth--;
	return true;
}

static bool scan_value(struct scan *sc)
{
	scan_ws(sc);
	int ch = peek(sc);
	if (ch == '{')
		return scan_container(sc, '}');
	if (ch == '[')
		return scan_container(sc, ']');
	if (ch == '"')
		return scan_string(sc);
	if (ch == '-' || (ch >= '0' && ch <= '9'))
		return scan_number(sc);
	if (is_word_char(ch))
		return scan_literal(sc);
	return scan_unexpected(sc, hint_for(ch));
}

static bool scan_document(struct scan *sc)
{
	if (sc->len >= 3 && memcmp(sc->s, "\xef\xbb\xbf", 3) == 0)
		sc->pos = 3;
	scan_ws(sc);
	if (sc->pos >= sc->len)
		return scan_error(sc, 0, xstrdup("the file is empty"));
	if (!scan_value(sc))
		return false;
	scan_ws(sc);
	if (sc->pos < sc->len) {
		char *what = found_at(sc, sc->pos);
		scan_error(sc, sc->pos, xasprintf("unexpected %s after the end of the document", what));
		free(what);
		return false;
	}
	return true;
}

/* ---- interface ---- */

char *sw_json_error_at(const char *text, size_t pos, const char *source, const char *msg)
{
	size_t line = 1, col = 1;
	for (size_t i = 0; i < pos; i++) {
		if (text[i] == '\n') {
			line++;
			col = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			col++;
		}
	}
	return xasprintf("%s:%zu:%zu: syntax error: %s", source, line, col, msg);
}

char *sw_json_diagnose(const char *text, size_t len, const char *source, size_t gave_up)
{
	struct scan sc = {.s = text, .len = len};
	/* Should the scanner see no mistake, the reader's position will do. */
	if (scan_document(&sc) || !sc.err) {
		sc.pos = gave_up;
		scan_unexpected(&sc, "");
	}
	char *msg = sw_json_error_at(text, sc.err_pos, source, sc.err);
	free(sc.err);
	return msg;
}
