/* Secrets a pipeline names: taken from the environment of the command that
 * starts a run or from ~/.config/slipway/secrets, and masked in all output. */
#ifndef SLIPWAY_SECRETS_H
#define SLIPWAY_SECRETS_H

#include <stdbool.h>
#include <stddef.h>

#include "slipway/util.h"

/* The longest secret, or line of a multi-line one, a run accepts: the
 * executor cuts lines at 64 KiB and keeps this much back, so that no
 * secret is cut through. */
#define SW_SECRET_MAX 32768

struct sw_secret {
	char *name;
	char *value;
};

/* What masking looks for: bytes of some secret's value. */
struct sw_secret_pattern {
	const char *bytes;
	size_t len;
	bool multiline;		/* holds a '\n': never inside one output line */
};

struct sw_secrets {
	struct sw_secret *items;
	size_t n;
	struct sw_secret_pattern *patterns;
	size_t npatterns;
};

/* The secrets file: $SLIPWAY_SECRETS_FILE, else ~/.config/slipway/secrets.
 * Allocated. */
char *sw_secrets_file_path(void);
/* Looks each name up in env (a NULL-terminated environ) then in file.
 * Names found nowhere go to missing.  -1 with *err when the file exists but
 * is readable by others or malformed (naming file and line), or when a
 * value (a line of it) is longer than SW_SECRET_MAX (naming the secret,
 * never showing its value). */
int sw_secrets_collect(const struct strlist *names, char *const *env, const char *file,
		       struct sw_secrets *out, struct strlist *missing, char **err);
/* The value of one secret in the secrets file alone (a token a client of
 * slipway's own needs): *value allocated, NULL when the file has none.
 * -1 with *err as sw_secrets_collect's. */
int sw_secrets_file_value(const char *name, char **value, char **err);
/* Adds a secret.  A value is masked whole; a value of several lines is also
 * masked line by line (without a trailing '\r'), lines under 4 bytes
 * excepted, since output is masked a line at a time. */
void sw_secrets_add(struct sw_secrets *s, const char *name, const char *value);
/* Replaces every maximal run of bytes that belongs to an occurrence of some
 * secret (overlapping ones included) by "***", in one pass. */
void sw_secrets_mask(const struct sw_secrets *s, struct sbuf *sb);
/* The same on a string (NULL stays NULL); true when it replaced *text. */
bool sw_secrets_mask_text(const struct sw_secrets *s, char **text);
/* Where to cut buf[0, len) when it is emitted in parts: len - hold, moved
 * to the start of a masked range that runs across it (to its end when the
 * start would leave less than half of len).  Appends buf[0, cut) masked to
 * masked; buf[cut, len), raw, must start the next part.  With hold at least
 * the longest secret less one, no secret is cut through. */
size_t sw_secrets_cut(const struct sw_secrets *s, const char *buf, size_t len, size_t hold,
		      struct sbuf *masked);
/* The length of the longest pattern that fits in one line (0 without). */
size_t sw_secrets_longest(const struct sw_secrets *s);
/* Masks every regular file under dir (symbolic links are not followed) that
 * holds a secret, replacing it atomically; files it cannot mask are named
 * in warnings. */
void sw_secrets_mask_tree(const struct sw_secrets *s, const char *dir, struct strlist *warnings);
void sw_secrets_free(struct sw_secrets *s);

#endif
