/* rng.c: Philox4x32-10 wrapper. */
#include "rng.h"

#include <Random123/philox.h>

void ph_rng_init(ph_rng *r, uint32_t seed, uint32_t stream, uint64_t index, uint32_t sub)
{
    r->key[0] = seed;
    r->key[1] = stream;
    r->ctr[0] = (uint32_t)index;
    r->ctr[1] = (uint32_t)(index >> 32);
    r->ctr[2] = sub;
    r->ctr[3] = 0;
    r->pos = 4;
}

uint32_t ph_rng_u32(ph_rng *r)
{
    if (r->pos == 4) {
        philox4x32_ctr_t c = {{r->ctr[0], r->ctr[1], r->ctr[2], r->ctr[3]}};
        philox4x32_key_t k = {{r->key[0], r->key[1]}};
        philox4x32_ctr_t o = philox4x32(c, k);
        for (int i = 0; i < 4; i++) r->out[i] = o.v[i];
        r->ctr[3]++;
        r->pos = 0;
    }
    return r->out[r->pos++];
}

double ph_rng_uniform(ph_rng *r)
{
    uint64_t hi = ph_rng_u32(r) >> 5, lo = ph_rng_u32(r) >> 6; /* 27 + 26 bits */
    return (double)(hi * 67108864u + lo) * (1.0 / 9007199254740992.0);
}

uint32_t ph_rng_below(ph_rng *r, uint32_t n)
{
    uint64_t m = (uint64_t)ph_rng_u32(r) * n;
    uint32_t low = (uint32_t)m;
    if (low < n) {
        uint32_t threshold = (uint32_t)(-n) % n;
        while (low < threshold) {
            m = (uint64_t)ph_rng_u32(r) * n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}
