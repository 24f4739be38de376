/* The webhook receiver (core/webhook.c, core/webhook_payload.c): its pure
 * parts, then a server on 127.0.0.1:0 spoken to with libcurl as GitHub
 * would, checking each answer, what reached on_push and what was logged.
 * The secret is made at run time; no fixture holds one. */
#include "unit.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "slipway/util.h"
#include "slipway/webhook.h"

#define SHA "0123456789abcdef0123456789abcdef01234567"
#define ZEROS "0000000000000000000000000000000000000000"

/* ---- the pure parts ---- */

static bool listen_ok(const char *text, int family, int port)
{
	struct sockaddr_storage a;
	socklen_t len = 0;
	char *err = NULL;
	if (sw_webhook_parse_listen(text, &a, &len, &err)) {
		free(err);
		return false;
	}
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)&a;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a;
	return a.ss_family == family && ntohs(family == AF_INET ? in4->sin_port : in6->sin6_port) == port &&
	       len == (family == AF_INET ? sizeof *in4 : sizeof *in6);
}

static char *listen_error(const char *text)
{
	struct sockaddr_storage a;
	socklen_t len;
	char *err = NULL;
	CHECK(sw_webhook_parse_listen(text, &a, &len, &err) == -1);
	return err;
}

static void test_listen_address(void)
{
	CHECK(listen_ok("127.0.0.1:0", AF_INET, 0));
	CHECK(listen_ok("127.0.0.1:8080", AF_INET, 8080));
	CHECK(listen_ok("192.0.2.7:65535", AF_INET, 65535));
	CHECK(listen_ok("[::1]:9000", AF_INET6, 9000));
	/* Names are not resolved, wildcards not taken, ports within 16 bits. */
	const char *const bad[] = {"localhost:8080", "127.0.0.1", "127.0.0.1:", ":8080", "127.1:80",
				   "127.0.0.1:65536", "127.0.0.1:80x", "127.0.0.1:-1", "::1:80", "[::1]80",
				   "[::1]", "", "0.0.0.0:8080", "[::]:8080", "127.0.0.1:0123456"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char *err = listen_error(bad[i]);
		CHECK(err && strstr(err, "cannot listen on \""));
		free(err);
	}
	char *err = listen_error("0.0.0.0:8080");
	CHECK(strstr(err, "every interface") != NULL);
	free(err);
	err = listen_error(NULL);
	CHECK(err != NULL);
	free(err);
	/* What the command line said comes back cleaned. */
	err = listen_error("\x1b[31mhost:1");
	CHECK(err && !strchr(err, '\x1b'));
	free(err);
}

static void test_signature(void)
{
	/* GitHub's own example (docs.github.com, "Validating webhook
	 * deliveries", testing the webhook payload validation). */
	static const char key[] = "It's a Secret to Everybody", body[] = "Hello, World!";
	static const char sig[] = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
	CHECK(sw_webhook_signed(key, strlen(key), body, strlen(body), sig));
	CHECK(sw_webhook_signed(key, strlen(key), body, strlen(body),
				"sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17"));
	/* One byte of the body, the key or the signature changed. */
	CHECK(!sw_webhook_signed(key, strlen(key), body, strlen(body) - 1, sig));
	CHECK(!sw_webhook_signed(key, strlen(key) - 1, body, strlen(body), sig));
	CHECK(!sw_webhook_signed(key, strlen(key), body, strlen(body),
				 "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e18"));
	/* Not the form: another algorithm, a digit short or over, no digits. */
	const char *const bad[] = {"sha1=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
				   "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1",
				   "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e177",
				   "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043eXX",
				   "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", "sha256=", "",
				   NULL};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECK(!sw_webhook_signed(key, strlen(key), body, strlen(body), bad[i]));
}

static char *push_json(const char *ref, const char *after, const char *deleted)
{
	return xasprintf("{\"ref\":\"%s\",\"before\":\"" ZEROS "\",\"after\":\"%s\",\"repository\":{\"id\":7,"
			 "\"full_name\":\"acme/shop\"},\"pusher\":{\"name\":\"ann\"}%s%s}",
			 ref, after, deleted ? ",\"deleted\":" : "", deleted ? deleted : "");
}

/* 0, or the status with the error's text in *why (allocated). */
static int read_push(const char *type, const char *body, struct sw_webhook_push *p, char **why)
{
	*why = NULL;
	int status = sw_webhook_read_push(type, body, strlen(body), p, why);
	CHECK((status == 0) == (*why == NULL));
	return status;
}

static void expect_refused(const char *type, const char *body, int status, const char *words)
{
	struct sw_webhook_push p;
	char *why;
	CHECK_INT(read_push(type, body, &p, &why), status);
	if (!why || !strstr(why, words))
		printf("  for %.60s: %s\n", body, why ? why : "(accepted)");
	CHECK(why && strstr(why, words) && !strchr(why, '\n'));
	free(why);
	sw_webhook_push_free(&p);
}

static void test_read_push(void)
{
	struct sw_webhook_push p;
	char *why, *json = push_json("refs/heads/development", SHA, "false");
	CHECK_INT(read_push("application/json", json, &p, &why), 0);
	CHECK_STR(p.repository, "acme/shop");
	CHECK_STR(p.ref, "refs/heads/development");
	CHECK_STR(p.after, SHA);
	CHECK(!p.deleted);
	CHECK(p.delivery == NULL);
	sw_webhook_push_free(&p);
	free(json);
	/* Upper-case hex comes out lower; a deletion told by the flag, or by
	 * zeros when an older payload has none. */
	json = push_json("refs/heads/gone", "0123456789ABCDEF0123456789ABCDEF01234567", "true");
	CHECK_INT(read_push("Application/JSON; charset=utf-8", json, &p, &why), 0);
	CHECK_STR(p.after, SHA);
	CHECK(p.deleted);
	sw_webhook_push_free(&p);
	free(json);
	json = push_json("refs/heads/gone", ZEROS, NULL);
	CHECK_INT(read_push("application/json", json, &p, &why), 0);
	CHECK(p.deleted);
	sw_webhook_push_free(&p);
	free(json);

	/* A form: '+' is a space, %XX a byte, other fields are passed over. */
	CHECK_INT(read_push("application/x-www-form-urlencoded",
			    "x=1&payload=%7B%22ref%22%3A%22refs%2Fheads%2Fa+b%22%2C%22after%22%3A%22" SHA
			    "%22%2C%22repository%22%3A%7B%22full_name%22%3A%22acme%2Fshop%22%7D%7D&y=2",
			    &p, &why),
		  0);
	CHECK_STR(p.ref, "refs/heads/a b");
	CHECK_STR(p.repository, "acme/shop");
	sw_webhook_push_free(&p);

	expect_refused("application/json", "{\"ref\":", 400, "not JSON");
	expect_refused("application/json", "", 400, "not JSON");
	/* cJSON alone would take this: one document, then more bytes. */
	expect_refused("application/json", "{} {}", 400, "not JSON");
	expect_refused("application/json", "[1]", 400, "not a JSON object");
	expect_refused("application/json", "{\"after\":\"" SHA "\",\"repository\":{\"full_name\":\"a/b\"}}", 400,
		       "\"ref\"");
	expect_refused("application/json", "{\"ref\":\"r\",\"after\":\"" SHA "\",\"repository\":{}}", 400,
		       "\"repository.full_name\"");
	expect_refused("application/json", "{\"ref\":\"r\",\"after\":\"" SHA "\",\"repository\":\"a/b\"}", 400,
		       "\"repository.full_name\"");
	expect_refused("application/json", "{\"ref\":\"r\",\"repository\":{\"full_name\":\"a/b\"}}", 400, "\"after\"");
	expect_refused("application/json", "{\"ref\":\"r\",\"after\":\"abc\",\"repository\":{\"full_name\":\"a/b\"}}",
		       400, "40 hex digits");
	expect_refused("application/json",
		       "{\"ref\":\"r\",\"after\":\"" SHA "\",\"deleted\":1,\"repository\":{\"full_name\":\"a/b\"}}", 400,
		       "\"deleted\"");
	expect_refused("application/json",
		       "{\"ref\":\"r\\n\\u001b[2J\",\"after\":\"" SHA "\",\"repository\":{\"full_name\":\"a/b\"}}", 400,
		       "control character");
	expect_refused("application/json", "{\"ref\":\"r\\u0000x\"}", 400, "not JSON");
	expect_refused("application/x-www-form-urlencoded", "other=1", 400, "no payload field");
	expect_refused("application/x-www-form-urlencoded", "payload=%7", 400, "two hex digits");
	expect_refused("application/x-www-form-urlencoded", "payload=%zz", 400, "two hex digits");
	expect_refused("application/x-www-form-urlencoded", "payload=", 400, "not JSON");
	expect_refused(NULL, "{}", 415, "no Content-Type");
	expect_refused("text/plain", "{}", 415, "Content-Type \"text/plain\"");
	/* application/jsonx is not application/json. */
	expect_refused("application/jsonx", "{}", 415, "only application/json");
	expect_refused("text/\x1b[31mplain", "{}", 415, "^[[31m");
}

/* ---- a server ---- */

struct fixture {
	struct sw_webhook *w;
	const char *host;	/* in URLs */
	char secret[33];	/* hex of 16 random bytes */
	pthread_mutex_t mu;	/* the callbacks run on the server's thread */
	struct sw_webhook_push pushes[4];
	size_t npushes;
	struct strlist log;
	struct strlist sent;	/* every signature sent, never to be logged */
	int ids;
};

static void on_push(void *ud, const struct sw_webhook_push *p)
{
	struct fixture *f = ud;
	pthread_mutex_lock(&f->mu);
	if (f->npushes < sizeof f->pushes / sizeof *f->pushes)
		f->pushes[f->npushes] = (struct sw_webhook_push){xstrdup(p->delivery), xstrdup(p->repository),
								  xstrdup(p->ref), xstrdup(p->after), p->deleted};
	f->npushes++;
	pthread_mutex_unlock(&f->mu);
}

static void on_log(void *ud, const char *line)
{
	struct fixture *f = ud;
	pthread_mutex_lock(&f->mu);
	strlist_add(&f->log, line);
	pthread_mutex_unlock(&f->mu);
}

static void random_secret(char out[33])
{
	unsigned char b[16];
	FILE *r = fopen("/dev/urandom", "rb");
	CHECK(r && fread(b, 1, sizeof b, r) == sizeof b);
	if (r)
		fclose(r);
	for (size_t i = 0; i < sizeof b; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static int start_on(struct fixture *f, const char *listen, const char *path, size_t body_max, char **err)
{
	memset(f, 0, sizeof *f);
	pthread_mutex_init(&f->mu, NULL);
	random_secret(f->secret);
	f->host = listen[0] == '[' ? "[::1]" : "127.0.0.1";
	struct sw_webhook_options o = {.listen = listen, .path = path, .secret = f->secret,
				       .secret_len = strlen(f->secret), .body_max = body_max, .on_push = on_push,
				       .log = on_log, .ud = f};
	return sw_webhook_start(&o, &f->w, err);
}

static void start(struct fixture *f, const char *path, size_t body_max)
{
	char *err = NULL;
	CHECK_INT(start_on(f, "127.0.0.1:0", path, body_max, &err), 0);
	if (err)
		printf("  %s\n", err);
	free(err);
	CHECK(f->w && sw_webhook_port(f->w) > 0);
}

/* Stops the server, after which every push accepted has been handed on,
 * and checks that no log line holds the secret or a signature sent. */
static void stop(struct fixture *f)
{
	sw_webhook_stop(f->w);
	f->w = NULL;
	for (size_t i = 0; i < f->log.len; i++) {
		CHECK(!strstr(f->log.items[i], f->secret));
		CHECK(!strchr(f->log.items[i], '\n'));
		for (size_t j = 0; j < f->sent.len; j++)
			CHECK(!strstr(f->log.items[i], f->sent.items[j]));
	}
}

static void finish(struct fixture *f)
{
	for (size_t i = 0; i < f->npushes && i < sizeof f->pushes / sizeof *f->pushes; i++)
		sw_webhook_push_free(&f->pushes[i]);
	strlist_free(&f->log);
	strlist_free(&f->sent);
	pthread_mutex_destroy(&f->mu);
}

static bool logged(const struct fixture *f, const char *words)
{
	for (size_t i = 0; i < f->log.len; i++)
		if (strstr(f->log.items[i], words))
			return true;
	return false;
}

/* What a test sends; every field has GitHub's default for a push. */
struct delivery {
	const char *method;	/* NULL: POST */
	const char *path;	/* NULL: "/" */
	const char *event;	/* NULL: "push" */
	const char *id;		/* NULL: a new one */
	const char *type;	/* NULL: "application/json" */
	const char *body;	/* NULL: a push to refs/heads/development */
	size_t len;		/* body's, when not strlen(body) */
	const char *signature;	/* NULL: made with the secret; "": none */
	const char *key;	/* the secret to sign with, when not the fixture's */
	bool chunked;		/* no Content-Length */
};

static char *sign(const char *key, const char *body, size_t len)
{
	unsigned char md[32];
	unsigned int n = 0;
	HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)body, len, md, &n);
	char *s = xmalloc(7 + 64 + 1);
	strcpy(s, "sha256=");
	for (unsigned i = 0; i < n; i++)
		snprintf(s + 7 + 2 * i, 3, "%02x", md[i]);
	return s;
}

static size_t on_reply(char *data, size_t size, size_t n, void *ud)
{
	sbuf_add(ud, data, size * n);
	return size * n;
}

struct upload {
	const char *data;
	size_t len, pos;
};

static size_t on_upload(char *buf, size_t size, size_t n, void *ud)
{
	struct upload *u = ud;
	size_t k = u->len - u->pos < size * n ? u->len - u->pos : size * n;
	memcpy(buf, u->data + u->pos, k);
	u->pos += k;
	return k;
}

static struct curl_slist *headers_of(struct fixture *f, const struct delivery *d, const char *body, size_t len)
{
	struct curl_slist *h = curl_slist_append(NULL, "Expect:");
	char *line = xasprintf("Content-Type: %s", d->type ? d->type : "application/json");
	h = curl_slist_append(h, line);
	free(line);
	line = xasprintf("X-GitHub-Event: %s", d->event ? d->event : "push");
	h = curl_slist_append(h, line);
	free(line);
	line = d->id ? xasprintf("X-GitHub-Delivery: %s", d->id) : xasprintf("X-GitHub-Delivery: id-%d", ++f->ids);
	h = curl_slist_append(h, line);
	free(line);
	char *sig = d->signature ? xstrdup(d->signature) : sign(d->key ? d->key : f->secret, body, len);
	if (*sig) {
		strlist_add(&f->sent, strchr(sig, '=') ? strchr(sig, '=') + 1 : sig);
		line = xasprintf("X-Hub-Signature-256: %s", sig);
		h = curl_slist_append(h, line);
		free(line);
	}
	free(sig);
	return h;
}

/* The status of the answer (0: none came) and its body into reply. */
static long send_to(struct fixture *f, const struct delivery *d, struct sbuf *reply)
{
	char *dflt = push_json("refs/heads/development", SHA, "false");
	const char *body = d->body ? d->body : dflt;
	size_t len = d->len ? d->len : strlen(body);
	CURL *c = curl_easy_init();
	char *url = xasprintf("http://%s:%d%s", f->host, sw_webhook_port(f->w), d->path ? d->path : "/");
	struct curl_slist *h = headers_of(f, d, body, len);
	struct upload up = {body, len, 0};
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_reply);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, reply);
	if (d->method) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, d->method);
	} else if (d->chunked) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_upload);
		curl_easy_setopt(c, CURLOPT_READDATA, &up);
	} else {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	}
	long status = 0;
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(url);
	free(dflt);
	return status;
}

/* The status, the answer's body checked to hold words. */
static long send_expect(struct fixture *f, const struct delivery *d, const char *words)
{
	struct sbuf reply;
	sbuf_init(&reply);
	long status = send_to(f, d, &reply);
	if (words && (!reply.buf || !strstr(reply.buf, words)))
		printf("  answer %ld: %s (wanted \"%s\")\n", status, reply.buf ? reply.buf : "", words);
	CHECK(!words || (reply.buf && strstr(reply.buf, words)));
	sbuf_free(&reply);
	return status;
}

static void test_push_accepted(void)
{
	struct fixture f;
	start(&f, NULL, 0);
	CHECK_INT(send_expect(&f, &(struct delivery){.id = "72d3162e-cc78-11e3-81ab-4c9367dc0958"}, "accepted"), 200);
	stop(&f);
	CHECK_INT(f.npushes, 1);
	CHECK_STR(f.pushes[0].delivery, "72d3162e-cc78-11e3-81ab-4c9367dc0958");
	CHECK_STR(f.pushes[0].repository, "acme/shop");
	CHECK_STR(f.pushes[0].ref, "refs/heads/development");
	CHECK_STR(f.pushes[0].after, SHA);
	CHECK(!f.pushes[0].deleted);
	CHECK_INT(f.log.len, 1);
	CHECK(logged(&f, "webhook: 200 accepted: \"refs/heads/development\" of \"acme/shop\" at 0123456789ab"));
	CHECK(logged(&f, "delivery \"72d3162e-cc78-11e3-81ab-4c9367dc0958\", event \"push\", from 127.0.0.1"));
	finish(&f);
}

static void test_bad_signatures(void)
{
	struct fixture f;
	start(&f, NULL, 0);
	char *body = push_json("refs/heads/development", SHA, "false");
	char *other = sign(f.secret, "{}", 2);
	CHECK_INT(send_expect(&f, &(struct delivery){.signature = other}, "does not match"), 401);
	CHECK_INT(send_expect(&f, &(struct delivery){.signature = ""}, "no X-Hub-Signature-256"), 401);
	CHECK_INT(send_expect(&f, &(struct delivery){.key = "not the secret"}, "does not match"), 401);
	CHECK_INT(send_expect(&f, &(struct delivery){.signature = "sha1=0123456789abcdef0123456789abcdef01234567"},
			      "not sha256=<64 hex digits>"),
		  401);
	/* Signed, then one byte of the body changed on the way. */
	char *sig = sign(f.secret, body, strlen(body));
	body[3] = 'x';
	CHECK_INT(send_expect(&f, &(struct delivery){.body = body, .signature = sig}, "does not match"), 401);
	/* A ping is no way around the check. */
	CHECK_INT(send_expect(&f, &(struct delivery){.event = "ping", .signature = ""}, NULL), 401);
	stop(&f);
	CHECK_INT(f.npushes, 0);
	CHECK_INT(f.log.len, 6);
	for (size_t i = 0; i < f.log.len; i++)
		CHECK(!strncmp(f.log.items[i], "webhook: 401 refused: ", 22));
	free(body);
	free(other);
	free(sig);
	finish(&f);
}

static void test_replays(void)
{
	struct fixture f;
	start(&f, NULL, 0);
	CHECK_INT(send_expect(&f, &(struct delivery){.id = "guid-1"}, "accepted"), 200);
	/* GitHub's Redeliver: the same id again. */
	CHECK_INT(send_expect(&f, &(struct delivery){.id = "guid-1"}, "duplicate delivery, ignored"), 200);
	/* The same signed body under an id of one's own. */
	CHECK_INT(send_expect(&f, &(struct delivery){.id = "guid-2"}, "duplicate delivery, ignored"), 200);
	/* A refused delivery is not remembered: its id still works. */
	char *body = push_json("refs/heads/main", SHA, "false");
	CHECK_INT(send_expect(&f, &(struct delivery){.id = "guid-3", .body = body, .key = "wrong"}, NULL), 401);
	CHECK_INT(send_expect(&f, &(struct delivery){.id = "guid-3", .body = body}, "accepted"), 200);
	stop(&f);
	CHECK_INT(f.npushes, 2);
	CHECK_STR(f.pushes[1].ref, "refs/heads/main");
	CHECK(logged(&f, "webhook: 200 duplicate delivery, ignored (delivery \"guid-2\""));
	free(body);
	finish(&f);
}

/* The ring keeps the last SW_WEBHOOK_SEEN_MAX: the oldest is forgotten. */
static void test_replays_forgotten(void)
{
	struct fixture f;
	start(&f, NULL, 0);
	CHECK_INT(send_expect(&f, &(struct delivery){.id = "first", .event = "ping", .body = "{}"}, "pong"), 200);
	for (int i = 0; i < SW_WEBHOOK_SEEN_MAX - 1; i++) {
		char body[32];
		snprintf(body, sizeof body, "{\"n\":%d}", i);
		CHECK_INT(send_expect(&f, &(struct delivery){.event = "ping", .body = body}, NULL), 200);
	}
	CHECK_INT(send_expect(&f, &(struct delivery){.id = "first", .event = "ping", .body = "{}"}, "duplicate"), 200);
	char body[32] = "{\"n\":-1}";
	CHECK_INT(send_expect(&f, &(struct delivery){.event = "ping", .body = body}, "pong"), 200);
	CHECK_INT(send_expect(&f, &(struct delivery){.id = "first", .event = "ping", .body = "{}"}, "pong"), 200);
	stop(&f);
	finish(&f);
}

static void test_ping_and_other_events(void)
{
	struct fixture f;
	start(&f, NULL, 0);
	CHECK_INT(send_expect(&f, &(struct delivery){.event = "ping", .body = "{\"zen\":\"Keep it simple.\"}"},
			      "pong"),
		  200);
	CHECK_INT(send_expect(&f, &(struct delivery){.event = "issues", .body = "{\"action\":\"opened\"}"},
			      "event \"issues\" ignored"),
		  202);
	/* No event, no delivery id: not GitHub's. */
	CHECK_INT(send_expect(&f, &(struct delivery){.event = ""}, "no X-GitHub-Event"), 400);
	CHECK_INT(send_expect(&f, &(struct delivery){.id = ""}, "no X-GitHub-Delivery"), 400);
	char id[SW_WEBHOOK_DELIVERY_MAX + 2];
	memset(id, 'a', sizeof id - 1);
	id[sizeof id - 1] = '\0';
	CHECK_INT(send_expect(&f, &(struct delivery){.id = id}, "X-GitHub-Delivery is longer than 64 bytes"), 400);
	stop(&f);
	CHECK_INT(f.npushes, 0);
	CHECK(logged(&f, "webhook: 200 pong"));
	CHECK(logged(&f, "webhook: 202 event \"issues\" ignored"));
	finish(&f);
}

static void test_body_too_large(void)
{
	struct fixture f;
	start(&f, NULL, 1024);
	char big[2048];
	memset(big, ' ', sizeof big);
	memcpy(big, "{}", 2);
	CHECK_INT(send_expect(&f, &(struct delivery){.body = big, .len = sizeof big}, "more than 1024"), 413);
	/* Without a Content-Length it is read up to the limit, then cut off. */
	CHECK_INT(send_expect(&f, &(struct delivery){.body = big, .len = sizeof big, .chunked = true}, NULL), 0);
	/* At the limit exactly, and chunked within it: read. */
	char *json = push_json("refs/heads/development", SHA, "false");
	size_t n = strlen(json);
	char *padded = xmalloc(1024);
	memset(padded, ' ', 1024);
	memcpy(padded, json, n);
	CHECK_INT(send_expect(&f, &(struct delivery){.body = padded, .len = 1024}, "accepted"), 200);
	char *other = push_json("refs/heads/chunked", SHA, "false");
	CHECK_INT(send_expect(&f, &(struct delivery){.body = other, .chunked = true}, "accepted"), 200);
	stop(&f);
	CHECK_INT(f.npushes, 2);
	CHECK(logged(&f, "webhook: 413 refused: a body of 2048 bytes, more than 1024"));
	CHECK(logged(&f, "webhook: 413 refused: a body of more than 1024 bytes without a Content-Length"));
	free(json);
	free(padded);
	free(other);
	finish(&f);
}

static void test_bad_payloads(void)
{
	struct fixture f;
	start(&f, NULL, 0);
	CHECK_INT(send_expect(&f, &(struct delivery){.body = "ref=refs/heads/x"}, "not JSON"), 400);
	CHECK_INT(send_expect(&f, &(struct delivery){.body = "{\"ref\":\"refs/heads/x\",\"after\":\"" SHA "\"}"},
			      "\"repository.full_name\""),
		  400);
	CHECK_INT(send_expect(&f, &(struct delivery){.type = "text/plain"}, "only application/json"), 415);
	stop(&f);
	CHECK_INT(f.npushes, 0);
	CHECK(logged(&f, "webhook: 400 refused: the payload has no field \"repository.full_name\""));
	finish(&f);
}

static void test_form_payload(void)
{
	struct fixture f;
	start(&f, NULL, 0);
	char *json = push_json("refs/heads/feature/a+b", ZEROS, "true");
	char *escaped = curl_easy_escape(NULL, json, 0);
	char *form = xasprintf("payload=%s", escaped);
	CHECK_INT(send_expect(&f, &(struct delivery){.type = "application/x-www-form-urlencoded", .body = form},
			      "deleted"),
		  200);
	stop(&f);
	CHECK_INT(f.npushes, 1);
	CHECK_STR(f.pushes[0].ref, "refs/heads/feature/a+b");
	CHECK_STR(f.pushes[0].after, ZEROS);
	CHECK(f.pushes[0].deleted);
	CHECK(logged(&f, "accepted: \"refs/heads/feature/a+b\" of \"acme/shop\" deleted"));
	curl_free(escaped);
	free(json);
	free(form);
	finish(&f);
}

static void test_path_and_method(void)
{
	struct fixture f;
	start(&f, "/hooks/github", 0);
	CHECK_INT(send_expect(&f, &(struct delivery){.path = "/"}, "not found"), 404);
	CHECK_INT(send_expect(&f, &(struct delivery){.path = "/hooks/github/x"}, NULL), 404);
	CHECK_INT(send_expect(&f, &(struct delivery){.path = "/hooks/github", .method = "GET"}, "only POST"), 405);
	CHECK_INT(send_expect(&f, &(struct delivery){.path = "/hooks/github", .method = "PUT"}, "only POST"), 405);
	CHECK_INT(send_expect(&f, &(struct delivery){.path = "/hooks/github"}, "accepted"), 200);
	stop(&f);
	CHECK_INT(f.npushes, 1);
	CHECK(logged(&f, "webhook: 404 refused: not found: \"POST\" \"/\""));
	CHECK(logged(&f, "webhook: 405 refused: method \"GET\": only POST"));
	finish(&f);
}

static void test_start_refused(void)
{
	struct fixture f;
	struct sw_webhook *w = NULL;
	char *err = NULL;
	struct sw_webhook_options o = {.listen = "127.0.0.1:0"};
	CHECK_INT(sw_webhook_start(&o, &w, &err), -1);
	CHECK(w == NULL && err && strstr(err, "no webhook secret"));
	free(err);
	err = NULL;
	o.secret = "s";
	o.secret_len = 1;
	o.listen = "localhost:0";
	CHECK_INT(sw_webhook_start(&o, &w, &err), -1);
	CHECK(err && strstr(err, "numeric address"));
	free(err);
	err = NULL;
	o.listen = "127.0.0.1:0";
	o.path = "hook";
	CHECK_INT(sw_webhook_start(&o, &w, &err), -1);
	CHECK(err && strstr(err, "does not start with '/'"));
	free(err);
	err = NULL;
	/* A port in use says so, with the address. */
	start(&f, NULL, 0);
	char *taken = xasprintf("127.0.0.1:%d", sw_webhook_port(f.w));
	o.listen = taken;
	o.path = NULL;
	CHECK_INT(sw_webhook_start(&o, &w, &err), -1);
	char *want = xasprintf("cannot listen on \"%s\": %s", taken, strerror(EADDRINUSE));
	CHECK_STR(err, want);
	free(err);
	free(want);
	free(taken);
	stop(&f);
	finish(&f);
	sw_webhook_stop(NULL);
}

static int open_descriptors(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Served on IPv6 loopback as well, and nothing left open once stopped. */
static void test_ipv6_and_descriptors(void)
{
	int before = open_descriptors();
	struct fixture f;
	char *err = NULL;
	if (start_on(&f, "[::1]:0", NULL, 0, &err)) {
		/* A machine without IPv6 loopback: nothing to check here. */
		printf("  no [::1] here: %s\n", err);
		CHECK(strstr(err, strerror(EADDRNOTAVAIL)) || strstr(err, strerror(EAFNOSUPPORT)));
		free(err);
		finish(&f);
		return;
	}
	CHECK_INT(send_expect(&f, &(struct delivery){.event = "ping", .body = "{}"}, "pong"), 200);
	CHECK_INT(send_expect(&f, &(struct delivery){0}, "accepted"), 200);
	stop(&f);
	CHECK_INT(f.npushes, 1);
	CHECK(logged(&f, "from ::1"));
	finish(&f);
	CHECK_INT(open_descriptors(), before);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	RUN_TEST(test_listen_address);
	RUN_TEST(test_signature);
	RUN_TEST(test_read_push);
	RUN_TEST(test_push_accepted);
	RUN_TEST(test_bad_signatures);
	RUN_TEST(test_replays);
	RUN_TEST(test_replays_forgotten);
	RUN_TEST(test_ping_and_other_events);
	RUN_TEST(test_body_too_large);
	RUN_TEST(test_bad_payloads);
	RUN_TEST(test_form_payload);
	RUN_TEST(test_path_and_method);
	RUN_TEST(test_start_refused);
	RUN_TEST(test_ipv6_and_descriptors);
	curl_global_cleanup();
	UNIT_EXIT();
}
