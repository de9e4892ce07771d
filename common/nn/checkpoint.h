/* checkpoint.h: training state in one HDF5 file, written atomically.
 *
 * /params/NN/{w,m,v} float32 per tensor in the model's fixed order (buffers
 * such as running statistics: w only); attributes: phasor_checkpoint
 * (version), model, step, seed, rng_stream, rng_counter, data_cursor,
 * best_metric, tensors, config, input_shape.
 * A checkpoint is only ever replaced by a complete one (NAME.partial, then
 * rename), so the last good one survives any failure. */
#ifndef PHASOR_CHECKPOINT_H
#define PHASOR_CHECKPOINT_H

#include "nn.h"

#include <stdint.h>

typedef struct {
    const char *model;  /* registry name */
    int64_t step;       /* completed optimisation steps */
    uint32_t seed;
    int64_t batch;      /* global batch: data_cursor = step * batch */
    double best_metric; /* best validation accuracy so far (-1: none) */
    const char *config; /* effective config text */
    int64_t input[4];   /* one training sample: frames, height, width, channels (0: not recorded) */
    const char *machine; /* where it trained: processor and backend (NULL: not recorded) */
} ph_checkpoint_meta;

/* Rank 0 only. */
void ph_checkpoint_save(const char *path, ph_param *const *params, int np,
                        const ph_checkpoint_meta *meta);
/* Any rank.  Returns the step stored, after loading every tensor, and the
 * best metric (may be NULL); fatal with one line if the file is not a
 * checkpoint of this model and shape. */
int64_t ph_checkpoint_load(const char *path, ph_param *const *params, int np, const char *model,
                           double *best_metric);

/* Any rank: the sample shape the model was trained on (frames, height, width,
 * channels) into out; 0 when the checkpoint does not record it. */
int ph_checkpoint_input_shape(const char *path, int64_t out[4]);

/* Any rank: the effective config text a checkpoint was written with
 * (malloc'd), or NULL when it stores none. */
char *ph_checkpoint_config(const char *path);

/* Collective over MPI_COMM_WORLD: a root attribute of a checkpoint, a fixed-length
 * string (malloc'd) or a number; fatal on every rank, with one line, if the file
 * or attribute is missing or of another type. */
char *ph_checkpoint_attr_str(const char *path, const char *name);
double ph_checkpoint_attr_num(const char *path, const char *name);

#endif
