/* npy_nd.h: an N-dimensional float array from a NumPy .npy file (version
 * 1-3, little-endian float32, float64 or uint8, C order), for recordings given
 * as arrays (phasor-probe sites --import) and, through image_read.h's 2-D
 * wrapper, the importer's maps.  Failures are returned with the reason, not fatal. */
#ifndef PHASOR_NPY_ND_H
#define PHASOR_NPY_ND_H

#include <stddef.h>
#include <stdint.h>

#define PH_NPY_MAX_DIMS 8

/* *out is malloc'd (product of dims values); dims[0..*ndims).  Returns 0, or
 * -1 with why (non-finite values are refused, naming the first one). */
int ph_npy_read_nd(const char *path, float **out, int *ndims, int64_t dims[PH_NPY_MAX_DIMS], char *why,
                   size_t n);

#endif
