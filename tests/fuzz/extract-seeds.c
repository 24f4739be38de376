/* Linked into a unit test program (ld --wrap), keeps every configuration
 * text it parses and every run.json it writes as a file in $SW_SEED_DIR,
 * named by a hash of its bytes: seed inputs for the fuzz harnesses. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slipway/config.h"
#include "slipway/util.h"

int __real_sw_config_parse(struct sw_config *cfg, const char *text, size_t len, const char *source,
			   char **err);
int __wrap_sw_config_parse(struct sw_config *cfg, const char *text, size_t len, const char *source,
			   char **err);
int __real_sw_write_atomic(const char *path, const char *data, size_t len, bool durable);
int __wrap_sw_write_atomic(const char *path, const char *data, size_t len, bool durable);

static void keep(const char *kind, const char *data, size_t len)
{
	const char *dir = getenv("SW_SEED_DIR");
	uint64_t h = 1469598103934665603u;	/* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)data[i]) * 1099511628211u;
	char path[4096];
	snprintf(path, sizeof path, "%s/%s-%016llx", dir ? dir : ".", kind, (unsigned long long)h);
	FILE *f = fopen(path, "wb");
	if (f) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
}

int __wrap_sw_config_parse(struct sw_config *cfg, const char *text, size_t len, const char *source,
			   char **err)
{
	if (text)
		keep("config", text, len);
	return __real_sw_config_parse(cfg, text, len, source, err);
}

int __wrap_sw_write_atomic(const char *path, const char *data, size_t len, bool durable)
{
	size_t n = strlen(path);
	if (n >= 8 && strcmp(path + n - 8, "run.json") == 0)
		keep("record", data, len);
	return __real_sw_write_atomic(path, data, len, durable);
}
