/* strbuf.c: growing text buffer. */
#include "strbuf.h"

#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void ph_sb_printf(ph_strbuf *b, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) PH_FAIL("formatting text", "bad format", "this is a bug");
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + (size_t)n + 1) cap *= 2;
        char *s = realloc(b->s, cap);
        PH_CHECK_ALLOC(s, "growing a text buffer");
        b->s = s, b->cap = cap;
    }
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap2);
    va_end(ap2);
    b->len += (size_t)n;
}

void ph_sb_json_str(ph_strbuf *b, const char *s)
{
    if (!s) {
        ph_sb_printf(b, "null");
        return;
    }
    ph_sb_printf(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            ph_sb_printf(b, "\\%c", *p);
        else if (*p < 0x20)
            ph_sb_printf(b, "\\u%04x", *p);
        else
            ph_sb_printf(b, "%c", *p);
    }
    ph_sb_printf(b, "\"");
}
