/* YAML text into a small node tree, from libyaml's parser events (libyaml
 * does the YAML; this file only keeps what it reports, within bounds). */
#include "slipway/yamltree.h"

#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "slipway/util.h"

struct anchor {
	char *name;
	struct sw_ynode *node;
};

struct builder {
	struct sw_ydoc *doc;
	const char *source;
	struct sw_ynode *stack[SW_YAML_DEPTH_MAX];
	int depth;
	struct anchor *anchors;
	size_t nanchors, cap;
	int documents;
	char *err;
};

static int fail_at(struct builder *b, int line, int column, char *msg)
{
	b->err = xasprintf("%s:%d:%d: %s", b->source, line, column, msg);
	free(msg);
	return -1;
}

static int fail_mark(struct builder *b, const yaml_mark_t *m, char *msg)
{
	return fail_at(b, (int)m->line + 1, (int)m->column + 1, msg);
}

static struct sw_ynode *new_node(struct builder *b, enum sw_ynode_kind kind, const yaml_mark_t *m)
{
	struct sw_ydoc *doc = b->doc;
	struct sw_ynode *n = xcalloc(1, sizeof *n);
	n->kind = kind;
	n->line = (int)m->line + 1;
	n->column = (int)m->column + 1;
	n->weight = 1;
	if (doc->nnodes == doc->cap) {
		doc->cap = doc->cap ? doc->cap * 2 : 64;
		doc->nodes = xrealloc(doc->nodes, doc->cap * sizeof *doc->nodes);
	}
	doc->nodes[doc->nnodes++] = n;
	return n;
}

static struct sw_ynode *top(struct builder *b)
{
	return b->depth ? b->stack[b->depth - 1] : NULL;
}

/* Weight reaches a container as its children arrive (a nested one's when
 * it ends), so the limit stops an alias bomb before it grows. */
static int add_weight(struct builder *b, struct sw_ynode *to, size_t w, const yaml_mark_t *m)
{
	if (!to)
		return 0;
	to->weight += w;
	if (to->weight > SW_YAML_NODES_MAX)
		return fail_mark(b, m, xasprintf("the document grows past %d nodes with its aliases "
						 "expanded (an alias bomb?)", SW_YAML_NODES_MAX));
	return 0;
}

static int check_key(struct builder *b, const struct sw_ynode *key, const yaml_mark_t *m)
{
	if (key->kind != SW_YAML_SCALAR)
		return fail_mark(b, m, xstrdup("only plain text can be a mapping key"));
	if (key->plain && !strcmp(key->text, "<<"))
		return fail_mark(b, m, xstrdup("merge keys (<<) are not supported: "
					       "repeat the keys or use an alias for the whole value"));
	return 0;
}

/* Places n under the open container (or as the root); its weight follows
 * now for scalars and aliases, at its end for containers. */
static int attach(struct builder *b, struct sw_ynode *n, bool counted, const yaml_mark_t *m)
{
	struct sw_ynode *parent = top(b);
	if (!parent) {
		if (b->doc->root)
			return fail_mark(b, m, xstrdup("a second root node"));
		b->doc->root = n;
		return 0;
	}
	if (parent->kind == SW_YAML_MAPPING && parent->n % 2 == 0 && check_key(b, n, m))
		return -1;
	if (parent->n == parent->cap) {
		parent->cap = parent->cap ? parent->cap * 2 : 8;
		parent->items = xrealloc(parent->items, parent->cap * sizeof *parent->items);
	}
	parent->items[parent->n++] = n;
	return counted ? add_weight(b, parent, n->weight, m) : 0;
}

static void add_anchor(struct builder *b, const yaml_char_t *name, struct sw_ynode *n)
{
	if (!name)
		return;
	if (b->nanchors == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 8;
		b->anchors = xrealloc(b->anchors, b->cap * sizeof *b->anchors);
	}
	b->anchors[b->nanchors].name = xstrdup((const char *)name);
	b->anchors[b->nanchors++].node = n;
}

static int on_alias(struct builder *b, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	/* The latest anchor of a name wins: YAML lets a later one replace it. */
	for (size_t i = b->nanchors; i-- > 0;) {
		if (strcmp(b->anchors[i].name, name))
			continue;
		if (b->anchors[i].node->open)
			return fail_mark(b, &ev->start_mark, xasprintf("alias *%s is inside the node it names", name));
		return attach(b, b->anchors[i].node, true, &ev->start_mark);
	}
	return fail_mark(b, &ev->start_mark, xasprintf("alias *%s: no anchor &%s before it", name, name));
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
	const char *value = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	if (memchr(value, '\0', len))
		return fail_mark(b, &ev->start_mark, xstrdup("a NUL character in a string"));
	struct sw_ynode *n = new_node(b, SW_YAML_SCALAR, &ev->start_mark);
	n->text = xstrndup(value, len);
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	add_anchor(b, ev->data.scalar.anchor, n);
	return attach(b, n, true, &ev->start_mark);
}

static int on_start(struct builder *b, const yaml_event_t *ev, enum sw_ynode_kind kind)
{
	if (b->depth == SW_YAML_DEPTH_MAX)
		return fail_mark(b, &ev->start_mark, xasprintf("nested deeper than %d levels", SW_YAML_DEPTH_MAX));
	struct sw_ynode *n = new_node(b, kind, &ev->start_mark);
	n->open = true;
	add_anchor(b, kind == SW_YAML_MAPPING ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor, n);
	if (attach(b, n, false, &ev->start_mark))
		return -1;
	b->stack[b->depth++] = n;
	return 0;
}

static int cmp_key(const void *x, const void *y)
{
	const struct sw_ynode *a = *(struct sw_ynode *const *)x, *c = *(struct sw_ynode *const *)y;
	return strcmp(a->text, c->text);
}

/* Sorted, so that a mapping of many keys costs n log n, not n squared. */
static int check_duplicates(struct builder *b, const struct sw_ynode *map)
{
	size_t nkeys = map->n;
	if (nkeys < 2)
		return 0;
	struct sw_ynode **keys = xmalloc(nkeys * sizeof *keys);
	for (size_t i = 0; i < nkeys; i++)
		keys[i] = map->items[2 * i];
	qsort(keys, nkeys, sizeof *keys, cmp_key);
	int r = 0;
	for (size_t i = 1; i < nkeys && !r; i++) {
		if (strcmp(keys[i - 1]->text, keys[i]->text))
			continue;
		const struct sw_ynode *later = keys[i]->line > keys[i - 1]->line ? keys[i] : keys[i - 1];
		r = fail_at(b, later->line, later->column, xasprintf("duplicate key \"%s\"", later->text));
	}
	free(keys);
	return r;
}

static int on_end(struct builder *b, const yaml_event_t *ev)
{
	struct sw_ynode *n = b->stack[--b->depth];
	n->open = false;
	n->n = n->kind == SW_YAML_MAPPING ? n->n / 2 : n->n;
	if (n->kind == SW_YAML_MAPPING && check_duplicates(b, n))
		return -1;
	return add_weight(b, top(b), n->weight, &ev->start_mark);
}

static int on_event(struct builder *b, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->documents > 1)
			return fail_mark(b, &ev->start_mark, xstrdup("a second YAML document (a workflow is one)"));
		return 0;
	case YAML_ALIAS_EVENT:
		return on_alias(b, ev);
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(b, ev, SW_YAML_SEQUENCE);
	case YAML_MAPPING_START_EVENT:
		return on_start(b, ev, SW_YAML_MAPPING);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_end(b, ev);
	default:
		return 0;
	}
}

/* libyaml's own words, at the place it names: a reader error (bad UTF-8)
 * has only a byte offset, so its line and column are counted here. */
static int parser_error(struct builder *b, const yaml_parser_t *p, const char *text, size_t len)
{
	const char *problem = p->problem ? p->problem : "cannot parse";
	yaml_mark_t m = p->problem_mark;
	if (p->error == YAML_READER_ERROR) {
		memset(&m, 0, sizeof m);
		for (size_t i = 0; i < p->problem_offset && i < len; i++, m.column++)
			if (text[i] == '\n') {
				m.line++;
				m.column = (size_t)-1;
			}
	}
	if (p->context)
		return fail_mark(b, &m, xasprintf("%s (%s at line %zu)", problem, p->context,
						  p->context_mark.line + 1));
	return fail_mark(b, &m, xstrdup(problem));
}

static void free_anchors(struct builder *b)
{
	for (size_t i = 0; i < b->nanchors; i++)
		free(b->anchors[i].name);
	free(b->anchors);
}

int sw_yaml_parse(struct sw_ydoc *doc, const char *text, size_t len, const char *source, char **err)
{
	memset(doc, 0, sizeof *doc);
	struct builder b = {.doc = doc, .source = source};
	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	int r = 0;
	for (bool done = false; !done && !r;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			r = parser_error(&b, &parser, text, len);
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		r = on_event(&b, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	free_anchors(&b);
	*err = b.err;
	return r;
}

void sw_yaml_free(struct sw_ydoc *doc)
{
	for (size_t i = 0; i < doc->nnodes; i++) {
		free(doc->nodes[i]->text);
		free(doc->nodes[i]->items);
		free(doc->nodes[i]);
	}
	free(doc->nodes);
	memset(doc, 0, sizeof *doc);
}

const char *sw_yaml_key(const struct sw_ynode *map, size_t i)
{
	return map->items[2 * i]->text;
}

int sw_yaml_key_line(const struct sw_ynode *map, size_t i)
{
	return map->items[2 * i]->line;
}

const struct sw_ynode *sw_yaml_value(const struct sw_ynode *map, size_t i)
{
	return map->items[2 * i + 1];
}

const struct sw_ynode *sw_yaml_get(const struct sw_ynode *map, const char *key)
{
	if (!map || map->kind != SW_YAML_MAPPING)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (!strcmp(sw_yaml_key(map, i), key))
			return sw_yaml_value(map, i);
	return NULL;
}

const char *sw_yaml_text(const struct sw_ynode *n)
{
	return n && n->kind == SW_YAML_SCALAR ? n->text : NULL;
}

const struct sw_ynode *sw_yaml_item(const struct sw_ynode *seq, size_t i)
{
	return seq->items[i];
}
