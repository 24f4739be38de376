/* Secrets a pipeline names: taken from the environment of the command that
 * starts a run or from ~/.config/slipway/secrets, and masked in all output. */
#ifndef SLIPWAY_SECRETS_H
#define SLIPWAY_SECRETS_H

#include <stddef.h>

#include "slipway/util.h"

struct sw_secret {
	char *name;
	char *value;
};

struct sw_secrets {
	struct sw_secret *items;
	size_t n;
};

/* The secrets file: $SLIPWAY_SECRETS_FILE, else ~/.config/slipway/secrets.
 * Allocated. */
char *sw_secrets_file_path(void);
/* Looks each name up in env (a NULL-terminated environ) then in file.
 * Names found nowhere go to missing.  -1 with *err when the file exists but
 * is readable by others or malformed (naming file and line). */
int sw_secrets_collect(const struct strlist *names, char *const *env, const char *file,
		       struct sw_secrets *out, struct strlist *missing, char **err);
/* Replaces every occurrence of a secret's value in sb by "***". */
void sw_secrets_mask(const struct sw_secrets *s, struct sbuf *sb);
/* The length of the longest value (0 without secrets). */
size_t sw_secrets_longest(const struct sw_secrets *s);
void sw_secrets_free(struct sw_secrets *s);

#endif
