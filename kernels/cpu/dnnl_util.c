/* dnnl_util.c: the CPU backend's oneDNN engine and stream (created once). */
#include "dnnl_util.h"

static dnnl_engine_t the_engine;
static dnnl_stream_t the_stream;

int ph_cpu_dnnl(dnnl_engine_t *engine, dnnl_stream_t *stream, char *why, size_t n)
{
    if (!the_engine) {
        DNNL_TRY(dnnl_engine_create(&the_engine, dnnl_cpu, 0), "creating the CPU engine");
        DNNL_TRY(dnnl_stream_create(&the_stream, the_engine, dnnl_stream_default_flags),
                 "creating a stream");
    }
    *engine = the_engine, *stream = the_stream;
    return 0;
fail:
    return -1;
}
