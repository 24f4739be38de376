/* The Sentry model's pure parts (core/sentry_watch.c): the panel's two
 * orders, the copies a snapshot holds, an issue taken out after triage;
 * and Sentry's times (core/sentry.c). */
#include "unit.h"

#include "slipway/sentry_watch.h"
#include "slipway/util.h"

static struct sw_sentry_issue mk(const char *id, const char *last_seen, long long count)
{
	return (struct sw_sentry_issue){.id = xstrdup(id), .short_id = xstrdup(id),
					.last_seen = xstrdup_null(last_seen), .count = count};
}

static void unmake(struct sw_sentry_issue *it, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(it[i].id);
		free(it[i].short_id);
		free(it[i].last_seen);
	}
}

static void test_time(void)
{
	CHECK_INT(sw_sentry_time("2026-11-30T12:00:00Z"), 1796040000);
	/* Fractions of seconds, as Sentry sends them. */
	CHECK_INT(sw_sentry_time("2026-11-30T12:00:00.123456Z"), 1796040000);
	CHECK_INT(sw_sentry_time(""), -1);
	CHECK_INT(sw_sentry_time(NULL), -1);
	CHECK_INT(sw_sentry_time("yesterday"), -1);
}

static void test_order(void)
{
	struct sw_sentry_issue it[] = {
		mk("a", "2026-11-30T10:00:00Z", 5), mk("b", "2026-11-30T12:00:00.5Z", 1),
		mk("c", "2026-11-30T10:00:00Z", 50), mk("d", "", 5),
	};
	size_t idx[] = {0, 1, 2, 3};
	sw_sentry_issues_order(idx, 4, it, SW_SENTRY_BY_LAST_SEEN);
	/* Ties (a and c) keep their order; an unknown time comes last. */
	CHECK_INT(idx[0], 1);
	CHECK_INT(idx[1], 0);
	CHECK_INT(idx[2], 2);
	CHECK_INT(idx[3], 3);
	sw_sentry_issues_order(idx, 4, it, SW_SENTRY_BY_COUNT);
	CHECK_INT(idx[0], 2);
	CHECK_INT(idx[1], 0);	/* a before d: the order it had */
	CHECK_INT(idx[2], 3);
	CHECK_INT(idx[3], 1);
	/* A subset (a filter) is ordered just the same. */
	size_t some[] = {3, 1};
	sw_sentry_issues_order(some, 2, it, SW_SENTRY_BY_LAST_SEEN);
	CHECK_INT(some[0], 1);
	sw_sentry_issues_order(some, 0, it, SW_SENTRY_BY_COUNT);
	unmake(it, 4);
}

static void test_append_drop(void)
{
	struct sw_sentry_issue it[] = {mk("1", "x", 1), mk("2", "y", 2), mk("3", NULL, 3)};
	struct sw_sentry_issue_list l = {0};
	sw_sentry_issues_append(&l, it, 2);
	sw_sentry_issues_append(&l, it + 2, 1);
	sw_sentry_issues_append(&l, it, 0);
	CHECK_INT(l.n, 3);
	CHECK(l.items[0].id != it[0].id);
	CHECK_STR(l.items[1].last_seen, "y");
	CHECK(l.items[2].last_seen == NULL);
	CHECK(l.items[2].title == NULL);
	CHECK(sw_sentry_issues_drop(&l, "2"));
	CHECK_INT(l.n, 2);
	CHECK_STR(l.items[1].id, "3");
	CHECK(!sw_sentry_issues_drop(&l, "2"));
	CHECK(sw_sentry_issues_drop(&l, "3"));
	CHECK(sw_sentry_issues_drop(&l, "1"));
	CHECK_INT(l.n, 0);
	sw_sentry_issue_list_free(&l);
	unmake(it, 3);
}

int main(void)
{
	RUN_TEST(test_time);
	RUN_TEST(test_order);
	RUN_TEST(test_append_drop);
	UNIT_EXIT();
}
