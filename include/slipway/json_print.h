/* JSON laid out the way a person writes it, for files people edit. */
#ifndef SLIPWAY_JSON_PRINT_H
#define SLIPWAY_JSON_PRINT_H

struct cJSON;

/* Two-space indents.  Objects down to expand_depth (0: the top one) have
 * a member a line, and so have arrays there that hold arrays or objects;
 * anything else stays on one line when it fits in 100 columns.  Allocated
 * text ending in a newline. */
char *sw_json_print(const struct cJSON *json, int expand_depth);

#endif
