/* h5attr.h: one-value attributes of HDF5 files that phasor did not necessarily
 * write (sample files, checkpoints).  H5Aread writes every element an attribute
 * holds, so reading an array attribute into one variable overflows it; these
 * readers check the shape and type first and report a mismatch, never fatal. */
#ifndef PHASOR_H5ATTR_H
#define PHASOR_H5ATTR_H

#include <hdf5.h>
#include <stdint.h>

/* 0 and *out when attribute `name` of obj is one integer (i64) or one float
 * (f64), of any width HDF5 converts; -1 when it is absent, an array, of another
 * type or unreadable. */
int ph_h5_attr_i64(hid_t obj, const char *name, int64_t *out);
int ph_h5_attr_f64(hid_t obj, const char *name, double *out);
/* One fixed-length string as a malloc'd NUL-terminated copy; NULL when absent,
 * an array, of another type, unreadable or out of memory. */
char *ph_h5_attr_str(hid_t obj, const char *name);

#endif
