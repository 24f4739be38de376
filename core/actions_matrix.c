/* A job's strategy.matrix expanded as GitHub does (the product of its
 * lists, less exclude, with include), each combination translated as a
 * job of its own; a matrix too big or not known until GitHub runs it is
 * left out with a note. */
#include <stdlib.h>
#include <string.h>

#include "actions_internal.h"

struct combo {
	struct strlist keys, values;
	size_t norig;		/* the first norig come from the product, include may not change them */
	bool included;		/* made by include: GitHub extends none of these */
};

struct matrix {
	struct combo *c;
	size_t n, cap;
};

static void combo_set(struct combo *c, const char *key, const char *value)
{
	for (size_t i = 0; i < c->keys.len; i++)
		if (!strcmp(c->keys.items[i], key)) {
			free(c->values.items[i]);
			c->values.items[i] = xstrdup(value);
			return;
		}
	strlist_add(&c->keys, key);
	strlist_add(&c->values, value);
}

static const char *combo_get(const struct combo *c, const char *key, size_t limit)
{
	for (size_t i = 0; i < c->keys.len && i < limit; i++)
		if (!strcmp(c->keys.items[i], key))
			return c->values.items[i];
	return NULL;
}

static struct combo *matrix_add(struct matrix *m)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 8;
		m->c = xrealloc(m->c, m->cap * sizeof *m->c);
	}
	memset(&m->c[m->n], 0, sizeof m->c[m->n]);
	return &m->c[m->n++];
}

static void matrix_free(struct matrix *m)
{
	for (size_t i = 0; i < m->n; i++) {
		strlist_free(&m->c[i].keys);
		strlist_free(&m->c[i].values);
	}
	free(m->c);
}

static bool scalars_map(const struct sw_ynode *n)
{
	if (!n || n->kind != SW_YAML_MAPPING)
		return false;
	for (size_t i = 0; i < n->n; i++)
		if (!sw_yaml_text(sw_yaml_value(n, i)))
			return false;
	return true;
}

/* Whether the product's size, before exclude, can be expanded at all. */
#define PRODUCT_MAX 256

/* Why a matrix key's values cannot be expanded, or NULL. */
static const char *values_problem(const struct sw_ynode *vals)
{
	if (vals->kind != SW_YAML_SEQUENCE || !vals->n)
		return "a value that is not a list";
	for (size_t k = 0; k < vals->n; k++)
		if (!sw_yaml_text(sw_yaml_item(vals, k)))
			return "values that are not plain text";
	return NULL;
}

/* Every combination so far times each of key's values. */
static void multiply(struct matrix *acc, const char *key, const struct sw_ynode *vals)
{
	struct matrix next = {0};
	for (size_t a = 0; a < acc->n; a++)
		for (size_t k = 0; k < vals->n; k++) {
			struct combo *c = matrix_add(&next);
			for (size_t j = 0; j < acc->c[a].keys.len; j++)
				combo_set(c, acc->c[a].keys.items[j], acc->c[a].values.items[j]);
			combo_set(c, key, sw_yaml_text(sw_yaml_item(vals, k)));
			c->norig = c->keys.len;
		}
	matrix_free(acc);
	*acc = next;
}

static const char *product(struct matrix *m, const struct sw_ynode *matrix)
{
	size_t total = 1;
	matrix_add(m);
	for (size_t i = 0; i < matrix->n; i++) {
		const char *key = sw_yaml_key(matrix, i);
		const struct sw_ynode *vals = sw_yaml_value(matrix, i);
		if (!strcmp(key, "include") || !strcmp(key, "exclude"))
			continue;
		const char *why = values_problem(vals);
		if (!why && (total *= vals->n) > PRODUCT_MAX)
			why = "more than 256 combinations";
		if (why)
			return why;
		multiply(m, key, vals);
	}
	/* No product keys at all: only include makes combinations. */
	if (m->n == 1 && !m->c[0].keys.len) {
		matrix_free(m);
		memset(m, 0, sizeof *m);
	}
	return NULL;
}

static bool matches(const struct combo *c, const struct sw_ynode *entry)
{
	for (size_t i = 0; i < entry->n; i++) {
		const char *v = combo_get(c, sw_yaml_key(entry, i), c->keys.len);
		if (!v || strcmp(v, sw_yaml_text(sw_yaml_value(entry, i))))
			return false;
	}
	return true;
}

static const char *exclude(struct matrix *m, const struct sw_ynode *list)
{
	for (size_t e = 0; list && e < list->n; e++) {
		const struct sw_ynode *entry = sw_yaml_item(list, e);
		if (!scalars_map(entry))
			return "an exclude entry that is not plain key: value";
		for (size_t i = 0; i < m->n;)
			if (matches(&m->c[i], entry)) {
				strlist_free(&m->c[i].keys);
				strlist_free(&m->c[i].values);
				memmove(&m->c[i], &m->c[i + 1], (m->n - i - 1) * sizeof *m->c);
				m->n--;
			} else {
				i++;
			}
	}
	return NULL;
}

/* GitHub's rule: an include entry extends every combination whose
 * original values it does not change; one that extends none is a
 * combination of its own. */
static bool extends(const struct combo *c, const struct sw_ynode *entry)
{
	for (size_t i = 0; i < entry->n; i++) {
		const char *v = combo_get(c, sw_yaml_key(entry, i), c->norig);
		if (v && strcmp(v, sw_yaml_text(sw_yaml_value(entry, i))))
			return false;
	}
	return true;
}

static const char *include(struct matrix *m, const struct sw_ynode *list)
{
	for (size_t e = 0; list && e < list->n; e++) {
		const struct sw_ynode *entry = sw_yaml_item(list, e);
		if (!scalars_map(entry))
			return "an include entry that is not plain key: value";
		size_t before = m->n;
		bool added = false;
		for (size_t i = 0; i < before; i++)
			if (!m->c[i].included && extends(&m->c[i], entry)) {
				for (size_t k = 0; k < entry->n; k++)
					combo_set(&m->c[i], sw_yaml_key(entry, k), sw_yaml_text(sw_yaml_value(entry, k)));
				added = true;
			}
		if (added)
			continue;
		struct combo *c = matrix_add(m);
		c->included = true;
		for (size_t k = 0; k < entry->n; k++)
			combo_set(c, sw_yaml_key(entry, k), sw_yaml_text(sw_yaml_value(entry, k)));
		if (m->n > PRODUCT_MAX)
			return "more than 256 combinations";
	}
	return NULL;
}

static const char *expand_matrix(struct matrix *m, const struct sw_ynode *matrix)
{
	memset(m, 0, sizeof *m);
	if (matrix->kind != SW_YAML_MAPPING)
		return "an expression, known only on GitHub";
	const struct sw_ynode *inc = sw_yaml_get(matrix, "include"), *exc = sw_yaml_get(matrix, "exclude");
	if ((inc && inc->kind != SW_YAML_SEQUENCE) || (exc && exc->kind != SW_YAML_SEQUENCE))
		return "include or exclude that is not a list";
	const char *why = product(m, matrix);
	if (!why)
		why = exclude(m, exc);
	if (!why)
		why = include(m, inc);
	if (!why && !m->n)
		why = "no combination";
	return why;
}

/* A combination is named by the values of the keys the matrix lists
 * (include's extras, like experimental: true, are not names); a matrix
 * made by include alone, by all of them. */
static bool listed(const struct sw_ynode *matrix, const char *key)
{
	return sw_yaml_get(matrix, key) && strcmp(key, "include") && strcmp(key, "exclude");
}

static void combo_naming(const struct combo *c, const struct sw_ynode *matrix, struct strlist *out)
{
	bool any = false;
	for (size_t i = 0; i < matrix->n; i++)
		any |= listed(matrix, sw_yaml_key(matrix, i));
	for (size_t i = 0; i < c->keys.len; i++)
		if (!any || listed(matrix, c->keys.items[i]))
			strlist_add(out, c->values.items[i]);
}

int matrix_job(struct job *proto, const struct sw_ynode *matrix, const struct sw_ynode *steps, char **err)
{
	struct tr *tr = proto->tr;
	struct matrix m;
	const char *why = expand_matrix(&m, matrix);
	if (!why && m.n > SW_ACTIONS_MATRIX_MAX)
		tr_note(tr, matrix->line, "job %s left out: its matrix has %zu combinations, more than the %d "
			"slipway expands; keep some with strategy.matrix.include, or write the stages by hand",
			proto->id, m.n, SW_ACTIONS_MATRIX_MAX);
	else if (why)
		tr_note(tr, matrix->line, "job %s left out: its matrix has %s; write its stages by hand", proto->id, why);
	if (why || m.n > SW_ACTIONS_MATRIX_MAX) {
		matrix_free(&m);
		return 0;
	}
	tr_note(tr, matrix->line, "job %s: its matrix of %zu combinations becomes %zu sets of stages, their names "
		"ending in the values, with MATRIX_* variables in env", proto->id, m.n, m.n);
	const struct sw_ynode *ff = sw_yaml_get(sw_yaml_get(proto->node, "strategy"), "fail-fast");
	if (sw_yaml_text(ff) && !strcmp(sw_yaml_text(ff), "false"))
		tr_note(tr, ff->line, "job %s: fail-fast: false is not translated: a failed stage stops the "
			"combinations after it", proto->id);
	int r = 0;
	for (size_t i = 0; i < m.n && !r; i++) {
		struct job job = *proto;
		struct strlist naming = {0};
		combo_naming(&m.c[i], matrix, &naming);
		job.mkeys = &m.c[i].keys;
		job.mvalues = &m.c[i].values;
		job.naming = &naming;
		r = job_combination(&job, steps, err);
		strlist_free(&naming);
	}
	matrix_free(&m);
	return r;
}
