/* The secrets file (KEY=VALUE lines), read through sw_secrets_collect as
 * `slipway run` does, then the values masked in the file's own text.  The
 * parser is static in secrets.c, so each input goes through a real file:
 * one kept open, rewritten in place, which costs two system calls. */
#include "fuzz.h"

#include <unistd.h>

#include "slipway/secrets.h"

static char path[4096];
static int fd = -1;

static void remove_file(void)
{
	unlink(path);
}

/* mkstemp makes it 0600, as the secrets file must be.  In memory where
 * possible: a file system's journal would be most of the cost. */
static void open_file(void)
{
	const char *tmp = getenv("TMPDIR");
	if (!tmp || !*tmp)
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(path, sizeof path, "%s/slipway-fuzz-secrets.XXXXXX", tmp);
	fd = mkstemp(path);
	FUZZ_CHECK(fd >= 0);
	atexit(remove_file);
}

static void write_file(const uint8_t *data, size_t size)
{
	if (fd < 0)
		open_file();
	FUZZ_CHECK(ftruncate(fd, 0) == 0);
	FUZZ_CHECK(size == 0 || pwrite(fd, data, size, 0) == (ssize_t)size);
}

/* No value is left in masked text, unless values hold the mask's '*'. */
static void check_masked(const struct sw_secrets *s, const uint8_t *data, size_t size)
{
	struct sbuf sb;
	sbuf_init(&sb);
	sbuf_add(&sb, (const char *)data, size);
	sw_secrets_mask(s, &sb);
	bool stars = false;
	for (size_t i = 0; i < s->n; i++)
		stars |= strchr(s->items[i].value, '*') != NULL;
	for (size_t i = 0; i < s->n && !stars; i++) {
		const char *v = s->items[i].value;
		/* Line ends around a value are not masked (a program prints its
		 * own): a value of nothing else has nothing to mask. */
		if (!v[strspn(v, "\r\n")])
			continue;
		FUZZ_CHECK(!sb.buf || !memmem(sb.buf, sb.len, v, strlen(v)));
	}
	sw_secrets_longest(s);
	sbuf_free(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *names[] = {"A", "TOKEN", "DOCKER_TOKEN", "KEY_2"};
	static const struct strlist wanted = {names, 4, 4};
	static char env_a[] = "A=from-the-environment";
	char *const env[] = {env_a, NULL};
	struct strlist missing = {0};
	write_file(data, size);
	struct sw_secrets s;
	char *err = NULL;
	if (sw_secrets_collect(&wanted, env, path, &s, &missing, &err) == 0) {
		FUZZ_CHECK(err == NULL && s.n + missing.len == wanted.len);
		check_masked(&s, data, size);
	} else {
		FUZZ_CHECK(fuzz_one_line(err));
	}
	free(err);
	sw_secrets_free(&s);
	strlist_free(&missing);
	return 0;
}
