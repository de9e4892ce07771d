/* rng.h: counter-based randomness (Philox4x32-10, Random123).
 *
 * A generator is a pure function of (seed, stream, index, sub): the key is
 * (seed, stream) and the counter is (index lo, index hi, sub, block).  Draws
 * never depend on the MPI rank or the rank count, so any rank can produce
 * sample `index` alone and get the same bytes. */
#ifndef PHASOR_RNG_H
#define PHASOR_RNG_H

#include <stdint.h>

/* Streams in use; a new purpose gets a new value, never a reused one. */
enum {
    PH_STREAM_LABEL = 1,   /* which member of a sample pair is positive */
    PH_STREAM_CONTENT = 2, /* everything drawn to make a sample */
    PH_STREAM_INIT = 3,    /* initial parameter values, one counter index per tensor */
    PH_STREAM_BATCH = 4,   /* training order: which samples form each step's batch */
    PH_STREAM_DROPOUT = 5, /* dropout masks, one counter index per sample id */
    PH_STREAM_PHASE = 6,   /* the CV-RNN's random initial phases, one counter index per sample id */
    PH_STREAM_FEATVIS = 7, /* feature visualisation: index = run << 32 | step, sub = purpose */
    PH_STREAM_PERMUTATION = 8, /* permutation tests of analyses: index = permutation, sub = test */
    PH_STREAM_BOOTSTRAP = 9,   /* bootstrap intervals of analyses: index = replicate, sub = statistic */
    PH_STREAM_SPLIT = 10,      /* imported samples dealt to splits: index = draw of the shuffle */
    PH_STREAM_SITES = 11,      /* synthetic neural sites: index = image (noise) or site (tuning), sub = purpose */
    PH_STREAM_SHAPE = 12,      /* fixed object instances of a challenge (seed 0): index = category, sub = instance */
};

typedef struct {
    uint32_t key[2];
    uint32_t ctr[4];
    uint32_t out[4];
    int pos; /* next unused word of out; 4 = empty */
} ph_rng;

void ph_rng_init(ph_rng *r, uint32_t seed, uint32_t stream, uint64_t index, uint32_t sub);
uint32_t ph_rng_u32(ph_rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double ph_rng_uniform(ph_rng *r);
/* Uniform integer in [0, n), unbiased (Lemire's multiply-and-reject); n > 0. */
uint32_t ph_rng_below(ph_rng *r, uint32_t n);

#endif
