/* Small helpers every module uses: allocation that aborts cleanly on
 * out-of-memory, a growable string buffer, times and text sanitising. */
#ifndef SLIPWAY_UTIL_H
#define SLIPWAY_UTIL_H

#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* NULL stays NULL. */
char *xstrdup_null(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Growable, always NUL-terminated byte buffer. */
struct sbuf {
	char *buf;
	size_t len;
	size_t cap;
};

void sbuf_init(struct sbuf *sb);
void sbuf_free(struct sbuf *sb);
void sbuf_add(struct sbuf *sb, const char *data, size_t len);
void sbuf_adds(struct sbuf *sb, const char *s);
void sbuf_addc(struct sbuf *sb, char c);
void sbuf_addf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_reset(struct sbuf *sb);
/* Hands the buffer to the caller (never NULL) and resets sb. */
char *sbuf_detach(struct sbuf *sb);

/* Cuts line in place at blanks (space, tab, CR); up to max words into w.
 * Returns how many. */
int sw_split_words(char *line, char **w, int max);

/* A list of owned strings.  items ends with a NULL once anything was
 * added, so that a strlist is an argv for posix_spawn and exec. */
struct strlist {
	char **items;
	size_t len;
	size_t cap;
};

void strlist_add(struct strlist *l, const char *s);
/* Adds each string of the NULL-terminated v. */
void strlist_add_all(struct strlist *l, const char *const *v);
void strlist_addf(struct strlist *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool strlist_has(const struct strlist *l, const char *s);
void strlist_free(struct strlist *l);

/* Milliseconds since the epoch, wall clock and monotonic. */
int64_t sw_now_ms(void);
int64_t sw_mono_ms(void);
/* Sleeps ms milliseconds, the whole of them whatever signal comes. */
void sw_sleep_ms(int ms);
/* "2026-11-25T16:20:45Z" into out (at least 21 bytes); empty for t < 0. */
void sw_iso_time(time_t t, char out[32]);
/* "42s", "3m", "2h", "5d" since t. */
void sw_format_age(time_t t, char *out, size_t n);
/* "3.2s" under a minute, else "4m05s". */
void sw_format_duration(int64_t ms, char *out, size_t n);
/* Parses the form above; -1 when it is not one. */
time_t sw_parse_iso_time(const char *s);
/* RFC 3339 as engines and APIs send it: fractions of seconds and a zone
 * ("Z", "+01:00") or none (UTC); -1 when it is not one. */
time_t sw_parse_rfc3339(const char *s);

/* The bytes are valid UTF-8 throughout. */
bool sw_utf8_valid(const char *s, size_t len);
/* Copies len bytes into sb, replacing every invalid UTF-8 sequence by U+FFFD. */
void sw_utf8_clean(struct sbuf *sb, const char *s, size_t len);
/* Copies len bytes into sb with C0/C1 controls and ESC shown as ^X / \xNN,
 * so the text can reach a terminal; tabs become a space, invalid UTF-8 U+FFFD. */
void sw_term_clean(struct sbuf *sb, const char *s, size_t len);
/* in[0, n) in base64 (url: the URL-safe alphabet), padded.  Allocated. */
char *sw_base64(const void *in, size_t n, bool url);

/* Writes data to path atomically: a temporary file beside it, then rename.
 * With durable, file and directory are fsync'ed.  0 or -errno. */
int sw_write_atomic(const char *path, const char *data, size_t len, bool durable);
/* The same for a file rewritten often (a run's record): a write that is not
 * durable swaps the new file in without the cost of a rename over the old
 * one on ext4, but after a power loss it may be found empty; a durable one
 * also makes the new file the one at kept, which the others leave alone,
 * for readers to fall back on.  0 or -errno. */
int sw_write_kept(const char *path, const char *kept, const char *data, size_t len, bool durable);
/* No file slipway reads whole (configuration, records, secrets) may be
 * larger: /dev/zero or a huge committed file must not exhaust memory. */
#define SW_READ_MAX (16u << 20)

/* A macro's value as a string literal: SW_STR(SW_CACHE_MAX) is "8". */
#define SW_STR_(x) #x
#define SW_STR(x) SW_STR_(x)
/* Reads a whole file; NULL with errno set on failure (EFBIG past
 * SW_READ_MAX). */
char *sw_read_file(const char *path, size_t *len);
/* The rest of fd, read to its end (fd stays open); NULL with errno. */
char *sw_read_fd(int fd, size_t *len);
/* mkdir -p; 0 or -errno. */
int sw_mkdirs(const char *path, int mode);
/* rm -rf; 0 or -errno. */
int sw_remove_tree(const char *path);

/* Glob match of a branch name against a pattern (fnmatch, '*' crosses '/'). */
bool sw_glob_match(const char *pattern, const char *name);

/* Parses a number the tools print with '.', whatever LC_NUMERIC says. */
bool sw_parse_number(const char *s, size_t len, double *out);

/* A child's descriptors, for posix_spawn: stdin from /dev/null, stdout
 * and stderr into out_fd, nothing else open; it starts in dir. */
void sw_spawn_output_to(posix_spawn_file_actions_t *fa, int out_fd, const char *dir);

/* NAME's value in a NULL-terminated environ-style array, or NULL. */
const char *sw_env_lookup(char *const *env, const char *name);

/* Levenshtein distance, for "did you mean" suggestions. */
size_t sw_edit_distance(const char *a, const char *b);

/* A record's id as people write it: "12" or "#12" (runs, deploys). */
bool sw_parse_record_id(const char *text, long *id);
/* The ids of the records in dir named "<id><suffix>" (merges' "N.json",
 * deploys' "N" directories), newest first; *n of them.  Allocated. */
long *sw_list_ids(const char *dir, const char *suffix, size_t *n);

#endif
