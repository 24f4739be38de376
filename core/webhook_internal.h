/* What the webhook receiver's two files share (core/webhook*.c).  Not
 * public API. */
#ifndef SLIPWAY_CORE_WEBHOOK_INTERNAL_H
#define SLIPWAY_CORE_WEBHOOK_INTERNAL_H

/* Enough of an untrusted value to recognise it in a message. */
#define SW_WEBHOOK_QUOTED_MAX 80

/* s in double quotes, made safe for a terminal and cut after
 * SW_WEBHOOK_QUOTED_MAX bytes ("..." then).  Allocated. */
char *sw_webhook_quoted(const char *s);
/* A hex digit's value, or -1. */
int sw_webhook_hex_value(char c);

#endif
