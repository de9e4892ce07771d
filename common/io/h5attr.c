/* h5attr.c: reading one-value attributes after checking their shape and type. */
#include "h5attr.h"

#include <stdlib.h>

/* The attribute when it exists and holds exactly one element, else -1. */
static hid_t open_single(hid_t obj, const char *name)
{
    if (H5Aexists(obj, name) <= 0) return -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) return -1;
    hid_t s = H5Aget_space(a);
    hssize_t n = s < 0 ? -1 : H5Sget_simple_extent_npoints(s);
    if (s >= 0) H5Sclose(s);
    if (n != 1) {
        H5Aclose(a);
        return -1;
    }
    return a;
}

/* One number of class cls converted to mem_type into out. */
static int read_number(hid_t obj, const char *name, H5T_class_t cls, hid_t mem_type, void *out)
{
    hid_t a = open_single(obj, name);
    if (a < 0) return -1;
    hid_t t = H5Aget_type(a);
    int rc = t >= 0 && H5Tget_class(t) == cls && H5Aread(a, mem_type, out) >= 0 ? 0 : -1;
    if (t >= 0) H5Tclose(t);
    H5Aclose(a);
    return rc;
}

int ph_h5_attr_i64(hid_t obj, const char *name, int64_t *out)
{
    return read_number(obj, name, H5T_INTEGER, H5T_NATIVE_INT64, out);
}

int ph_h5_attr_f64(hid_t obj, const char *name, double *out)
{
    return read_number(obj, name, H5T_FLOAT, H5T_NATIVE_DOUBLE, out);
}

char *ph_h5_attr_str(hid_t obj, const char *name)
{
    hid_t a = open_single(obj, name);
    if (a < 0) return NULL;
    hid_t t = H5Aget_type(a);
    char *out = NULL;
    if (t >= 0 && H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) == 0) {
        size_t n = H5Tget_size(t);
        /* the bytes stored, not the size the type claims, bound the copy */
        if (n > 0 && H5Aget_storage_size(a) == n && (out = calloc(n + 1, 1)) && H5Aread(a, t, out) < 0) {
            free(out);
            out = NULL;
        }
    }
    if (t >= 0) H5Tclose(t);
    H5Aclose(a);
    return out;
}
