/* GitHub Actions' ${{ ... }} expressions in a workflow's text (run
 * scripts, env values, action inputs), turned into what a slipway stage's
 * shell sees: a variable where slipway has one, a matrix value as text.
 * An expression with no slipway meaning is refused, never guessed at. */
#ifndef SLIPWAY_ACTIONS_EXPR_H
#define SLIPWAY_ACTIONS_EXPR_H

#include <stdbool.h>
#include <stddef.h>

#include "slipway/util.h"

struct sw_expr_ctx {
	/* The matrix combination being expanded (NULL: none). */
	const struct strlist *matrix_keys;
	const struct strlist *matrix_values;
	/* Every secret a translated text names is added here. */
	struct strlist *secrets;
};

/* Text with its expressions resolved: literal stretches and variables. */
struct sw_expr_part {
	char *text;
	bool var;		/* text is a variable's name */
};

struct sw_expr_parts {
	struct sw_expr_part *items;
	size_t n, cap;
};

/* The text holds a ${{ at all. */
bool sw_expr_has(const char *text);

/* Resolves every expression of text:
 *   secrets.X -> $X (X in ctx->secrets; GitHub's secret names are upper case)
 *   env.X -> $X, github.sha -> $SLIPWAY_COMMIT, github.ref_name -> $SLIPWAY_BRANCH,
 *   github.ref -> refs/heads/$SLIPWAY_BRANCH, github.run_number -> $SLIPWAY_RUN,
 *   matrix.X -> the combination's value.
 * Anything else: -1 with *bad the expression as written ("${{ github.actor }}"). */
int sw_expr_expand(const char *text, const struct sw_expr_ctx *ctx, struct sw_expr_parts *out, char **bad);
void sw_expr_parts_free(struct sw_expr_parts *p);
bool sw_expr_parts_have_var(const struct sw_expr_parts *p);
/* The parts as plain text, variables as $NAME: for labels and messages. */
char *sw_expr_parts_text(const struct sw_expr_parts *p);
/* The parts as one shell word: bare when that is safe, else quoted so that
 * literal text stays literal and variables expand. */
char *sw_expr_shell_word(const struct sw_expr_parts *p);

/* A run: script with its expressions resolved for /bin/sh, minding the
 * quotes around each: inside '...' a variable is spliced in as '"$X"',
 * in a quoted here-document it cannot be (refused); in a comment an
 * expression with no meaning is left as written.  NULL with *bad. */
char *sw_expr_shell_script(const char *script, const struct sw_expr_ctx *ctx, char **bad);

/* s as one shell word, single-quoted unless it needs no quotes. */
char *sw_shell_quote(const char *s);

/* The file patterns named by hashFiles('...', ...) in text. */
void sw_expr_hash_files(const char *text, struct strlist *files);

/* When the whole of text is one ${{ X }}: X, trimmed (allocated); else NULL. */
char *sw_expr_whole(const char *text);

#endif
