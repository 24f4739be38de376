/* Unit tests for the pure parts of a push stage: $NAME expansion without a
 * shell, the name an image is pushed as, its registry, the result file. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "slipway/push.h"
#include "slipway/util.h"
#include "unit.h"

static char e1[] = "IMAGE=sample", e2[] = "SLIPWAY_COMMIT=3f2a1c9", e3[] = "EMPTY=", e4[] = "A_1=x$y";
static char *const env[] = {e1, e2, e3, e4, NULL};

static char *expanded(const char *s)
{
	char *out = NULL, *err = NULL;
	if (sw_expand_vars(s, env, &out, &err)) {
		printf("  %s: %s\n", s, err);
		free(err);
		return NULL;
	}
	CHECK(err == NULL);
	return out;
}

static char *expand_error(const char *s)
{
	char *out = NULL, *err = NULL;
	CHECK_INT(sw_expand_vars(s, env, &out, &err), -1);
	CHECK(out == NULL);
	return err;
}

#define CHECK_EXPANDS(s, want)            \
	do {                              \
		char *o_ = expanded(s);   \
		CHECK_STR(o_, want);      \
		free(o_);                 \
	} while (0)

#define CHECK_EXPAND_ERR(s, want)          \
	do {                               \
		char *e_ = expand_error(s); \
		CHECK_STR(e_, want);       \
		free(e_);                  \
	} while (0)

static void test_expand(void)
{
	CHECK_EXPANDS("$IMAGE:$SLIPWAY_COMMIT", "sample:3f2a1c9");
	CHECK_EXPANDS("${IMAGE}:${SLIPWAY_COMMIT}", "sample:3f2a1c9");
	CHECK_EXPANDS("r/${IMAGE}x", "r/samplex");
	CHECK_EXPANDS("plain:tag", "plain:tag");
	CHECK_EXPANDS("", "");
	CHECK_EXPANDS("a$EMPTY", "a");
	/* A value is not expanded again, nor split: no shell here. */
	CHECK_EXPANDS("$A_1", "x$y");
	CHECK_EXPANDS("$IMAGE-$IMAGE", "sample-sample");
	CHECK_EXPANDS("${NOPE:-127.0.0.1:5000}/x", "127.0.0.1:5000/x");
	CHECK_EXPANDS("${EMPTY:-d}", "d");
	CHECK_EXPANDS("${IMAGE:-d}", "sample");
	CHECK_EXPANDS("${NOPE:-}x", "x");
	/* The default is not expanded again either. */
	CHECK_EXPANDS("${NOPE:-$IMAGE}", "$IMAGE");
}

static void test_expand_errors(void)
{
	CHECK_EXPAND_ERR("$NOPE:1", "$NOPE:1: $NOPE is not set in the stage's environment");
	CHECK_EXPAND_ERR("${NOPE}", "${NOPE}: $NOPE is not set in the stage's environment");
	CHECK_EXPAND_ERR("a:$", "a:$: a '$' at offset 2 starts no variable ($NAME, ${NAME} or ${NAME:-DEFAULT})");
	CHECK_EXPAND_ERR("${IMAGE", "${IMAGE: a '$' at offset 0 starts no variable ($NAME, ${NAME} or ${NAME:-DEFAULT})");
	CHECK_EXPAND_ERR("${}", "${}: a '$' at offset 0 starts no variable ($NAME, ${NAME} or ${NAME:-DEFAULT})");
	CHECK_EXPAND_ERR("$1", "$1: a '$' at offset 0 starts no variable ($NAME, ${NAME} or ${NAME:-DEFAULT})");
	CHECK_EXPAND_ERR("$(id)", "$(id): a '$' at offset 0 starts no variable ($NAME, ${NAME} or ${NAME:-DEFAULT})");
	CHECK_EXPAND_ERR("${NOPE:-x", "${NOPE:-x: a '$' at offset 0 starts no variable ($NAME, ${NAME} or ${NAME:-DEFAULT})");
	CHECK_EXPAND_ERR("${IMAGE-x}", "${IMAGE-x}: a '$' at offset 0 starts no variable ($NAME, ${NAME} or ${NAME:-DEFAULT})");
}

static void check_target(const char *image, const char *registry, const char *repo, const char *tag)
{
	char *r = NULL, *t = NULL, *err = NULL;
	CHECK_INT(sw_push_target(image, registry, &r, &t, &err), 0);
	CHECK_STR(r, repo);
	CHECK_STR(t, tag);
	if (err)
		printf("  %s: %s\n", image, err);
	free(r);
	free(t);
	free(err);
}

static char *target_error(const char *image)
{
	char *r = NULL, *t = NULL, *err = NULL;
	CHECK_INT(sw_push_target(image, "127.0.0.1:5000", &r, &t, &err), -1);
	CHECK(r == NULL && t == NULL);
	return err;
}

static void test_target(void)
{
	check_target("sample:3f2a1c9", "127.0.0.1:5000", "127.0.0.1:5000/sample", "3f2a1c9");
	check_target("sample", "127.0.0.1:5000", "127.0.0.1:5000/sample", "latest");
	check_target("team/sample:1.0", "127.0.0.1:5000", "127.0.0.1:5000/team/sample", "1.0");
	/* A registry the image named is replaced by the one asked for. */
	check_target("localhost:5000/sample:v1", "127.0.0.1:5000", "127.0.0.1:5000/sample", "v1");
	check_target("registry.example.com/a/b:v1", NULL, "registry.example.com/a/b", "v1");
	check_target("127.0.0.1:5000/sample:v1", NULL, "127.0.0.1:5000/sample", "v1");
	check_target("sample:v1", NULL, "sample", "v1");
	char *e = target_error("Sample:1");
	CHECK_STR(e, "Sample:1: not an image name (lower-case letters, digits, '.', '_', '-' and '/')");
	free(e);
	e = target_error("sample:a+b");
	CHECK_STR(e, "sample:a+b: invalid tag \"a+b\" (up to 128 letters, digits, '_', '.' and '-')");
	free(e);
	e = target_error("sample:");
	CHECK_STR(e, "sample:: invalid tag \"\" (up to 128 letters, digits, '_', '.' and '-')");
	free(e);
	e = target_error("sample@sha256:00");
	CHECK_STR(e, "sample@sha256:00: a digest names what was pushed; push a tag");
	free(e);
	e = target_error("");
	CHECK(e != NULL);
	free(e);
}

static void test_server(void)
{
	static const char *const cases[][2] = {
		{"127.0.0.1:5000/sample", "127.0.0.1:5000"},
		{"localhost/sample", "localhost"},
		{"registry.example.com/a/b", "registry.example.com"},
		{"team/sample", "https://index.docker.io/v1/"},
		{"sample", "https://index.docker.io/v1/"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *s = sw_push_server(cases[i][0]);
		CHECK_STR(s, cases[i][1]);
		free(s);
	}
}

static void test_result_file(void)
{
	char dir[] = "/tmp/slipway-test-push.XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char *path = xasprintf("%s/push-p.json", dir);
	char image[] = "127.0.0.1:5000/sample:3f2a1c9", digest[] = "sha256:0123";
	struct sw_push_result in = {image, digest}, out;
	CHECK_INT(sw_push_result_write(path, &in), 0);
	CHECK_INT(sw_push_result_read(path, &out), 0);
	CHECK_STR(out.image, in.image);
	CHECK_STR(out.digest, in.digest);
	sw_push_result_free(&out);
	in.digest = NULL;
	CHECK_INT(sw_push_result_write(path, &in), 0);
	CHECK_INT(sw_push_result_read(path, &out), 0);
	CHECK(out.digest == NULL);
	sw_push_result_free(&out);
	/* Not one: no image. */
	CHECK_INT(sw_write_atomic(path, "{\"digest\": \"sha256:1\"}", 22, false), 0);
	CHECK_INT(sw_push_result_read(path, &out), -1);
	CHECK(out.image == NULL && out.digest == NULL);
	unlink(path);
	CHECK_INT(sw_push_result_read(path, &out), -1);
	rmdir(dir);
	free(path);
}

int main(void)
{
	RUN_TEST(test_expand);
	RUN_TEST(test_expand_errors);
	RUN_TEST(test_target);
	RUN_TEST(test_server);
	RUN_TEST(test_result_file);
	UNIT_EXIT();
}
