/* The run record's JSON form, for the store (core-internal). */
#ifndef SLIPWAY_CORE_RECORD_H
#define SLIPWAY_CORE_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "slipway/store.h"

/* The JSON of stage i of rec; the store's keeps the text of the stages
 * that did not change since its last save. */
typedef struct cJSON *sw_stage_json_fn(void *ctx, const struct sw_run_record *rec, size_t i);

/* rec as run.json holds it; stage_json NULL prints every stage. */
struct cJSON *sw_record_json(const struct sw_run_record *rec, sw_stage_json_fn *stage_json, void *ctx);
struct cJSON *sw_stage_record_json(const struct sw_stage_record *s);
/* Two stage records print the same JSON. */
bool sw_stage_record_same(const struct sw_stage_record *a, const struct sw_stage_record *b);

/* The status a stage's name gives (also a deploy step's); -1 when none. */
int sw_stage_status_from_name(const char *s);

#endif
