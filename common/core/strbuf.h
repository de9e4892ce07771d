/* strbuf.h: a growing text buffer for reports, JSON lines and config text. */
#ifndef PHASOR_STRBUF_H
#define PHASOR_STRBUF_H

#include <stddef.h>

typedef struct {
    char *s; /* NUL-terminated once anything was added; free() it when done */
    size_t len, cap;
} ph_strbuf;

__attribute__((format(printf, 2, 3))) void ph_sb_printf(ph_strbuf *b, const char *fmt, ...);
/* A JSON string literal (quotes, backslashes and control characters escaped), or null. */
void ph_sb_json_str(ph_strbuf *b, const char *s);

#endif
