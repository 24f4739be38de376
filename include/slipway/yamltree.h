/* A YAML document as a small tree built from libyaml's parser events:
 * mappings, sequences and scalars, each with the line it starts on.
 * Aliases are resolved by sharing the anchored node; the tree stays small
 * however they nest (an alias bomb is refused), and so does its depth. */
#ifndef SLIPWAY_YAMLTREE_H
#define SLIPWAY_YAMLTREE_H

#include <stdbool.h>
#include <stddef.h>

/* Past these a document is refused: nesting, and nodes counted as if every
 * alias were a copy of what it names (what a reader of the tree visits). */
#define SW_YAML_DEPTH_MAX 64
#define SW_YAML_NODES_MAX 100000

enum sw_ynode_kind { SW_YAML_SCALAR, SW_YAML_SEQUENCE, SW_YAML_MAPPING };

struct sw_ynode {
	enum sw_ynode_kind kind;
	int line, column;		/* 1-based, where the node starts */
	char *text;			/* a scalar's value (NUL-free) */
	bool plain;			/* a scalar written without quotes */
	struct sw_ynode **items;	/* a sequence's n items; a mapping's n pairs as key, value */
	size_t n;
	/* the builder's own */
	size_t cap;
	size_t weight;			/* nodes below and including this one, aliases expanded */
	bool open;			/* still being built: an alias to it would be a loop */
};

struct sw_ydoc {
	struct sw_ynode *root;		/* NULL for an empty document */
	struct sw_ynode **nodes;	/* every node, for freeing */
	size_t nnodes, cap;
};

/* Parses one YAML document.  On error returns -1 with *err one line:
 *   ci.yml:4:12: mapping values are not allowed in this context
 * Duplicate keys, non-scalar keys, merge keys (<<), several documents and
 * the limits above are errors too.  sw_yaml_free it either way. */
int sw_yaml_parse(struct sw_ydoc *doc, const char *text, size_t len, const char *source, char **err);
void sw_yaml_free(struct sw_ydoc *doc);

/* The value under key in a mapping, or NULL (also when map is no mapping). */
const struct sw_ynode *sw_yaml_get(const struct sw_ynode *map, const char *key);
/* A mapping's i-th key (a scalar's text), the line it is on, and its value. */
const char *sw_yaml_key(const struct sw_ynode *map, size_t i);
int sw_yaml_key_line(const struct sw_ynode *map, size_t i);
const struct sw_ynode *sw_yaml_value(const struct sw_ynode *map, size_t i);
/* A scalar's text, or NULL for anything else. */
const char *sw_yaml_text(const struct sw_ynode *n);
/* A sequence's i-th item. */
const struct sw_ynode *sw_yaml_item(const struct sw_ynode *seq, size_t i);

#endif
