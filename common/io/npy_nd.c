/* npy_nd.c: N-D .npy float arrays, read by the format's documented header
 * (magic, version, header length, a dict with descr, fortran_order, shape). */
#include "npy_nd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The text after the colon of 'key' in the header dict. */
static const char *dict_value(const char *hdr, const char *key)
{
    const char *p = strstr(hdr, key);
    if (!p) return NULL;
    p = strchr(p + strlen(key), ':');
    if (!p) return NULL;
    for (p++; *p == ' '; p++) {}
    return p;
}

/* "(a, b, c)" or "(a,)" -> dims; -1 if malformed. */
static int parse_shape(const char *s, int *ndims, int64_t *dims)
{
    if (!s || *s != '(') return -1;
    s++;
    int k = 0;
    for (;;) {
        while (*s == ' ') s++;
        if (*s == ')') break;
        char *end = NULL;
        long long v = strtoll(s, &end, 10);
        if (end == s || v < 1 || v > (1LL << 40) || k == PH_NPY_MAX_DIMS) return -1;
        dims[k++] = v;
        s = end;
        while (*s == ' ') s++;
        if (*s == ',') s++;
        else if (*s != ')') return -1;
    }
    *ndims = k;
    return k ? 0 : -1;
}

int ph_npy_read_nd(const char *path, float **out, int *ndims, int64_t dims[PH_NPY_MAX_DIMS], char *why,
                   size_t n)
{
    *out = NULL, *ndims = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, n, "cannot open: %s", strerror(errno));
        return -1;
    }
    unsigned char pre[12];
    size_t hlen = 0;
    int rc = -1;
    char *hdr = NULL;
    unsigned char *raw = NULL;
    float *v = NULL;
    if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6)) {
        snprintf(why, n, "not a .npy file (no \\x93NUMPY magic)");
        goto done;
    }
    if (pre[6] == 1) {
        hlen = pre[8] | (size_t)pre[9] << 8;
    } else if (pre[6] == 2 || pre[6] == 3) {
        if (fread(pre + 10, 1, 2, f) != 2) {
            snprintf(why, n, "truncated .npy header");
            goto done;
        }
        hlen = pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    } else {
        snprintf(why, n, ".npy format version %d is not supported (1-3 are)", pre[6]);
        goto done;
    }
    if (hlen > 1 << 20 || !(hdr = calloc(hlen + 1, 1)) || fread(hdr, 1, hlen, f) != hlen) {
        snprintf(why, n, "truncated or oversized .npy header");
        goto done;
    }
    const char *descr = dict_value(hdr, "'descr'"), *fo = dict_value(hdr, "'fortran_order'");
    int kind; /* bytes per value */
    if (descr && !strncmp(descr, "'<f4'", 5)) kind = 4;
    else if (descr && !strncmp(descr, "'<f8'", 5)) kind = 8;
    else if (descr && (!strncmp(descr, "'|u1'", 5) || !strncmp(descr, "'<u1'", 5))) kind = 1;
    else {
        snprintf(why, n, ".npy dtype is not float32, float64 or uint8 (little-endian)");
        goto done;
    }
    if (!fo || strncmp(fo, "False", 5)) {
        snprintf(why, n, ".npy array is in Fortran order (save it C-ordered: np.ascontiguousarray)");
        goto done;
    }
    if (parse_shape(dict_value(hdr, "'shape'"), ndims, dims)) {
        snprintf(why, n, ".npy shape is missing, empty, has a zero or more than %d dimensions", PH_NPY_MAX_DIMS);
        goto done;
    }
    size_t count = 1;
    for (int i = 0; i < *ndims; i++) {
        if (count > ((size_t)1 << 40) / (size_t)dims[i]) {
            snprintf(why, n, ".npy array is too large");
            goto done;
        }
        count *= (size_t)dims[i];
    }
    /* The data must be in the file: a header may claim any shape, and
     * allocating what it claims before reading would take memory for nothing. */
    struct stat st;
    long at = ftell(f);
    if (fstat(fileno(f), &st) || at < 0) {
        snprintf(why, n, "cannot read: %s", strerror(errno));
        goto done;
    }
    if (st.st_size < at || (size_t)(st.st_size - at) / (size_t)kind < count) {
        snprintf(why, n, "truncated .npy data (%zu values expected)", count);
        goto done;
    }
    raw = malloc(count * (size_t)kind);
    v = malloc(count * sizeof *v);
    if (!raw || !v) {
        snprintf(why, n, "out of memory for %zu values", count);
        goto done;
    }
    if (fread(raw, (size_t)kind, count, f) != count) {
        snprintf(why, n, "truncated .npy data (%zu values expected)", count);
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        if (kind == 1) {
            v[i] = raw[i];
        } else if (kind == 4) {
            memcpy(&v[i], raw + 4 * i, 4);
        } else {
            double d;
            memcpy(&d, raw + 8 * i, 8);
            v[i] = (float)d;
        }
        if (!(v[i] - v[i] == 0.0f)) { /* NaN or infinite (or beyond float32) */
            snprintf(why, n, ".npy value %zu (flat C-order index) is not finite", i);
            goto done;
        }
    }
    *out = v, v = NULL;
    rc = 0;
done:
    free(hdr), free(raw), free(v);
    fclose(f);
    if (rc) *ndims = 0;
    return rc;
}
