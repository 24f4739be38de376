/* pcre2 behind a small interface: compile once, match many lines. */
#include "slipway/regex.h"

#include <ctype.h>
#include <stdlib.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "slipway/util.h"

struct sw_regex {
	pcre2_code *code;
	pcre2_match_data *md;
};

static bool has_upper(const char *s)
{
	for (; *s; s++)
		if (isupper((unsigned char)*s))
			return true;
	return false;
}

/* pcre2's code for pattern, or NULL with pcre2's message and the offset
 * where it stopped; the one place that says how patterns are compiled. */
static pcre2_code *compile(const char *pattern, bool smart_case, char **msg, size_t *offset)
{
	int code;
	PCRE2_SIZE off;
	uint32_t opts = PCRE2_UTF | (smart_case && !has_upper(pattern) ? PCRE2_CASELESS : 0);
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, opts, &code, &off, NULL);
	if (!re) {
		PCRE2_UCHAR buf[256];
		pcre2_get_error_message(code, buf, sizeof buf);
		*msg = xstrdup((char *)buf);
		*offset = (size_t)off;
	}
	return re;
}

struct sw_regex *sw_regex_new(const char *pattern, bool smart_case, char **err)
{
	char *msg;
	size_t off;
	pcre2_code *re = compile(pattern, smart_case, &msg, &off);
	if (!re) {
		*err = xasprintf("bad pattern \"%s\": %s at offset %zu", pattern, msg, off);
		free(msg);
		return NULL;
	}
	/* Fails harmlessly where JIT is not built in; pcre2_match then interprets. */
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	struct sw_regex *r = xcalloc(1, sizeof *r);
	r->code = re;
	r->md = pcre2_match_data_create_from_pattern(re, NULL);
	return r;
}

bool sw_regex_find(struct sw_regex *re, const char *s, size_t len, size_t from, size_t *start,
		   size_t *end, size_t *gs, size_t *ge)
{
	if (from > len)
		return false;
	/* Callers pass valid UTF-8 (cleaned), so pcre2 need not check it again. */
	int rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, from, PCRE2_NO_UTF_CHECK, re->md, NULL);
	if (rc < 0)
		return false;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(re->md);
	int g = rc >= 2 && ov[2] != PCRE2_UNSET ? 1 : 0;
	*start = ov[0];
	*end = ov[1];
	if (gs)
		*gs = ov[2 * g];
	if (ge)
		*ge = ov[2 * g + 1];
	return true;
}

size_t sw_regex_next(const char *s, size_t len, size_t start, size_t end)
{
	if (end > start)
		return end;
	end++;
	while (end < len && ((unsigned char)s[end] & 0xc0) == 0x80)
		end++;
	return end;
}

char *sw_regex_check(const char *pattern, size_t *offset)
{
	char *msg = NULL;
	pcre2_code_free(compile(pattern, false, &msg, offset));
	return msg;
}

void sw_regex_free(struct sw_regex *re)
{
	if (!re)
		return;
	pcre2_match_data_free(re->md);
	pcre2_code_free(re->code);
	free(re);
}
