/* A human layout for cJSON trees: cJSON prints the scalars, this file
 * decides where lines break. */
#include "slipway/json_print.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "slipway/util.h"

#define WIDTH 100

static bool is_container(const cJSON *j)
{
	return cJSON_IsArray(j) || cJSON_IsObject(j);
}

static void add_scalar(struct sbuf *sb, const cJSON *j)
{
	char *text = cJSON_PrintUnformatted(j);
	sbuf_adds(sb, text ? text : "null");
	free(text);
}

static void add_key(struct sbuf *sb, const char *key)
{
	cJSON *s = cJSON_CreateString(key);
	add_scalar(sb, s);
	cJSON_Delete(s);
	sbuf_adds(sb, ": ");
}

static void add_inline(struct sbuf *sb, const cJSON *j)
{
	if (!is_container(j)) {
		add_scalar(sb, j);
		return;
	}
	bool obj = cJSON_IsObject(j);
	sbuf_addc(sb, obj ? '{' : '[');
	for (const cJSON *e = j->child; e; e = e->next) {
		if (obj)
			add_key(sb, e->string);
		add_inline(sb, e);
		if (e->next)
			sbuf_adds(sb, ", ");
	}
	sbuf_addc(sb, obj ? '}' : ']');
}

static void indent(struct sbuf *sb, int level)
{
	for (int i = 0; i < level; i++)
		sbuf_adds(sb, "  ");
}

/* The column the current line has reached. */
static size_t column(const struct sbuf *sb)
{
	const char *nl = sb->len ? memrchr(sb->buf, '\n', sb->len) : NULL;
	return nl ? sb->len - (size_t)(nl + 1 - sb->buf) : sb->len;
}

static bool fits_inline(const struct sbuf *sb, const cJSON *j)
{
	struct sbuf tmp;
	sbuf_init(&tmp);
	add_inline(&tmp, j);
	bool fits = column(sb) + tmp.len + 1 <= WIDTH;
	sbuf_free(&tmp);
	return fits;
}

static bool holds_container(const cJSON *j)
{
	for (const cJSON *e = j->child; e; e = e->next)
		if (is_container(e))
			return true;
	return false;
}

/* Down to expand_depth every object is expanded, and every array that
 * holds more than scalars: a list of names stays on one line. */
static bool must_expand(const cJSON *j, int level, int expand_depth)
{
	return level <= expand_depth && (cJSON_IsObject(j) || holds_container(j));
}

static void add_value(struct sbuf *sb, const cJSON *j, int level, int expand_depth);

static void add_expanded(struct sbuf *sb, const cJSON *j, int level, int expand_depth)
{
	bool obj = cJSON_IsObject(j);
	sbuf_addc(sb, obj ? '{' : '[');
	for (const cJSON *e = j->child; e; e = e->next) {
		sbuf_addc(sb, '\n');
		indent(sb, level + 1);
		if (obj)
			add_key(sb, e->string);
		add_value(sb, e, level + 1, expand_depth);
		if (e->next)
			sbuf_addc(sb, ',');
	}
	sbuf_addc(sb, '\n');
	indent(sb, level);
	sbuf_addc(sb, obj ? '}' : ']');
}

static void add_value(struct sbuf *sb, const cJSON *j, int level, int expand_depth)
{
	if (!is_container(j) || !j->child || (!must_expand(j, level, expand_depth) && fits_inline(sb, j)))
		add_inline(sb, j);
	else
		add_expanded(sb, j, level, expand_depth);
}

char *sw_json_print(const cJSON *json, int expand_depth)
{
	struct sbuf sb;
	sbuf_init(&sb);
	add_value(&sb, json, 0, expand_depth);
	sbuf_addc(&sb, '\n');
	return sbuf_detach(&sb);
}
