/* dnnl_util.h: the one oneDNN engine and stream of the CPU backend, and the
 * error macro its files share (sets `why`, jumps to `fail`). */
#ifndef PHASOR_KERNELS_CPU_DNNL_UTIL_H
#define PHASOR_KERNELS_CPU_DNNL_UTIL_H

#include <oneapi/dnnl/dnnl.h>
#include <stddef.h>
#include <stdio.h>

#define DNNL_TRY(call, what)                                                              \
    do {                                                                                  \
        dnnl_status_t st_ = (call);                                                       \
        if (st_ != dnnl_success) {                                                        \
            snprintf(why, n, "oneDNN %s: status %d", (what), (int)st_);                   \
            goto fail;                                                                    \
        }                                                                                 \
    } while (0)

/* Creates them on first use; -1 with a reason when oneDNN cannot. */
int ph_cpu_dnnl(dnnl_engine_t *engine, dnnl_stream_t *stream, char *why, size_t n);

#endif
