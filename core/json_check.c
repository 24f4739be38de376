/* The strict JSON recogniser: slipway.json passes it before cJSON reads it,
 * because cJSON is lenient (raw control characters in strings, "0012",
 * "5.", any byte below ' ' as whitespace) and says only where it gave up,
 * often past the mistake (a trailing comma shows at the closing brace). */
#include "slipway/json_check.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "slipway/util.h"

#define NESTING_MAX 1000	/* cJSON's CJSON_NESTING_LIMIT: what passes here, cJSON reads */
#define WORD_SHOWN 20

struct scan {
	const char *s;
	size_t len;
	size_t pos;
	int depth;
	size_t err_pos;
	char *err;
};

/* Records the first mistake; returns false so that callers can return it. */
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

/* The byte at pos, or -1 past the end. */
static int byte_at(const struct scan *sc, size_t pos)
{
	return pos < sc->len ? (unsigned char)sc->s[pos] : -1;
}

static int peek(const struct scan *sc)
{
	return byte_at(sc, sc->pos);
}

static bool is_ws(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static void scan_ws(struct scan *sc)
{
	while (is_ws(peek(sc)))
		sc->pos++;
}

static bool is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

static bool is_word_char(int ch)
{
	return ch >= 0 && ch < 0x80 && (isalnum(ch) || ch == '_');
}

static bool starts_value(int ch)
{
	return ch == '"' || ch == '{' || ch == '[' || ch == '-' || is_word_char(ch);
}

/* Bytes of the valid UTF-8 character at p, or 0. */
static size_t utf8_len(const char *p, size_t avail)
{
	unsigned char c = (unsigned char)*p;
	size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
	return n && n <= avail && sw_utf8_valid(p, n) ? n : 0;
}

/* What the scanner found at pos, for "unexpected ..." messages: a word, a
 * character fit for a terminal, or a byte's value. */
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
		while (n < WORD_SHOWN && is_word_char(byte_at(sc, pos + n)))
			n++;
	} else if (c >= 0x80) {
		n = utf8_len(p, sc->len - pos);
		if (c == 0xc2 && n == 2 && (unsigned char)p[1] < 0xa0)
			n = 0;	/* a C1 control */
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

/* ---- strings ---- */

static long hex4(const struct scan *sc, size_t at)
{
	long v = 0;
	for (size_t i = at; i < at + 4; i++) {
		int c = byte_at(sc, i);
		if (c < 0 || !isxdigit(c))
			return -1;
		c = tolower(c);
		v = v * 16 + (isdigit(c) ? c - '0' : c - 'a' + 10);
	}
	return v;
}

/* \uXXXX.  NUL would end the C string there and silently drop the rest (of
 * a command, say); half a surrogate pair is no character at all. */
static bool scan_unicode(struct scan *sc)
{
	size_t at = sc->pos;
	long cp = hex4(sc, at + 2);
	if (cp < 0)
		return scan_error(sc, at, xstrdup("invalid \\u escape in string (\\u needs four hex digits)"));
	if (cp == 0)
		return scan_error(sc, at, xstrdup("\\u0000 in string (slipway's strings cannot hold NUL)"));
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return scan_error(sc, at, xstrdup("invalid \\u escape in string (unpaired surrogate)"));
	sc->pos += 6;
	if (cp < 0xd800 || cp > 0xdbff)
		return true;
	long lo = peek(sc) == '\\' && byte_at(sc, sc->pos + 1) == 'u' ? hex4(sc, sc->pos + 2) : -1;
	if (lo < 0xdc00 || lo > 0xdfff)
		return scan_error(sc, at, xstrdup("invalid \\u escape in string (unpaired surrogate)"));
	sc->pos += 6;
	return true;
}

static bool scan_escape(struct scan *sc, size_t start)
{
	size_t at = sc->pos;
	int e = byte_at(sc, at + 1);
	if (e < 0)
		return scan_error(sc, start, xstrdup("unterminated string"));
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

static bool control_in_string(struct scan *sc, int ch)
{
	const char *named = ch == '\t' ? "\\t" : ch == '\b' ? "\\b" : ch == '\f' ? "\\f" : NULL;
	char esc[8];
	snprintf(esc, sizeof esc, "\\u%04x", ch);
	return scan_error(sc, sc->pos, xasprintf("control character 0x%02x in string (write it as %s)",
						 ch, named ? named : esc));
}

/* A raw line break means the closing quote was forgotten, far more often
 * than a string meant to span lines: that is said at the opening quote. */
static bool scan_string(struct scan *sc)
{
	size_t start = sc->pos++;
	for (int ch; (ch = peek(sc)) >= 0 && ch != '\n' && ch != '\r';) {
		if (ch == '"') {
			sc->pos++;
			return true;
		}
		if (ch == '\\') {
			if (!scan_escape(sc, start))
				return false;
			continue;
		}
		if (ch < 0x20)
			return control_in_string(sc, ch);
		size_t n = utf8_len(sc->s + sc->pos, sc->len - sc->pos);
		if (n == 0)
			return scan_error(sc, sc->pos, xstrdup("invalid UTF-8 in string"));
		sc->pos += n;
	}
	return scan_error(sc, start, xstrdup("unterminated string"));
}

/* ---- numbers and literals ---- */

static bool scan_digits(const struct scan *sc, size_t *p)
{
	size_t from = *p;
	while (is_digit(byte_at(sc, *p)))
		(*p)++;
	return *p > from;
}

static bool bad_number(struct scan *sc, const char *why)
{
	return scan_error(sc, sc->pos, xasprintf("invalid number (%s)", why));
}

/* After a number, a letter or a point means it was not one ("0x10", "1.2.3"). */
static bool number_end(struct scan *sc, size_t p)
{
	int ch = byte_at(sc, p);
	if (!is_word_char(ch) && ch != '.') {
		sc->pos = p;
		return true;
	}
	char *what = found_at(sc, p);
	scan_error(sc, p, xasprintf("unexpected %s in a number", what));
	free(what);
	return false;
}

/* RFC 8259's grammar and no more: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
 * where strtod would also take "+1", ".5", "0012", "5." and "1e". */
static bool scan_number(struct scan *sc)
{
	size_t p = sc->pos;
	if (byte_at(sc, p) == '+')
		return bad_number(sc, "no '+' sign");
	if (byte_at(sc, p) == '-')
		p++;
	if (byte_at(sc, p) == '.')
		return bad_number(sc, "a digit must come before '.'");
	if (!is_digit(byte_at(sc, p)))
		return bad_number(sc, "a digit must follow '-'");
	if (byte_at(sc, p) == '0' && is_digit(byte_at(sc, p + 1)))
		return bad_number(sc, "no leading zeros");
	scan_digits(sc, &p);
	if (byte_at(sc, p) == '.') {
		p++;
		if (!scan_digits(sc, &p))
			return bad_number(sc, "a digit must follow '.'");
	}
	if (byte_at(sc, p) == 'e' || byte_at(sc, p) == 'E') {
		p++;
		if (byte_at(sc, p) == '+' || byte_at(sc, p) == '-')
			p++;
		if (!scan_digits(sc, &p))
			return bad_number(sc, "the exponent needs a digit");
	}
	return number_end(sc, p);
}

static bool scan_literal(struct scan *sc)
{
	static const char *const lits[] = {"true", "false", "null"};
	size_t left = sc->len - sc->pos;
	bool wrong_case = false;
	for (size_t i = 0; i < 3; i++) {
		size_t l = strlen(lits[i]);
		if (left < l || is_word_char(byte_at(sc, sc->pos + l)))
			continue;
		if (memcmp(sc->s + sc->pos, lits[i], l) == 0) {
			sc->pos += l;
			return true;
		}
		wrong_case |= strncasecmp(sc->s + sc->pos, lits[i], l) == 0;
	}
	return scan_unexpected(sc, wrong_case ? " (true, false and null are lower case)"
					      : " (strings need double quotes)");
}

/* ---- containers ---- */

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
	if (ch == '-' || ch == '+' || ch == '.' || is_digit(ch))
		return scan_number(sc);
	if (is_word_char(ch))
		return scan_literal(sc);
	return scan_unexpected(sc, hint_for(ch));
}

/* A byte order mark is allowed (RFC 8259 lets readers ignore one). */
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

char *sw_json_check(const char *text, size_t len, const char *source)
{
	struct scan sc = {.s = text, .len = len};
	if (scan_document(&sc))
		return NULL;
	char *msg = sw_json_error_at(text, sc.err_pos, source, sc.err);
	free(sc.err);
	return msg;
}
