/* optim.c: optimisers (SGD with momentum/Nesterov, Adam, AdamW) and
 * learning-rate schedules (constant, step, cosine; linear warm-up). */
#include "nn.h"

#include <math.h>

const char *const ph_opt_names[PH_OPT_COUNT] = {[PH_OPT_SGD] = "sgd", [PH_OPT_ADAM] = "adam",
                                                [PH_OPT_ADAMW] = "adamw"};
const char *const ph_sched_names[PH_SCHED_COUNT] = {[PH_SCHED_CONSTANT] = "constant",
                                                    [PH_SCHED_STEP] = "step",
                                                    [PH_SCHED_COSINE] = "cosine"};

ph_optim ph_optim_default(void)
{
    return (ph_optim){.kind = PH_OPT_ADAMW, .lr = 1e-3f, .beta1 = 0.9f, .beta2 = 0.999f,
                      .eps = 1e-8f, .decay_norm = 1, .schedule = PH_SCHED_CONSTANT,
                      .gamma = 0.1f, .step_size = 1, .total = 1};
}

double ph_optim_lr(const ph_optim *o, int64_t step)
{
    double lr = o->lr;
    switch (o->schedule) {
    case PH_SCHED_STEP:
        lr *= pow(o->gamma, (double)((step - 1) / (o->step_size > 0 ? o->step_size : 1)));
        break;
    case PH_SCHED_COSINE: {
        /* from lr at the end of warm-up to min_lr at `total` */
        double span = (double)(o->total - o->warmup), t = (double)(step - o->warmup);
        double f = span > 0 ? fmin(fmax(t / span, 0.0), 1.0) : 1.0;
        lr = o->min_lr + (lr - o->min_lr) * 0.5 * (1.0 + cos(M_PI * f));
        break;
    }
    default:
        break;
    }
    if (o->warmup > 0 && step <= o->warmup) lr *= (double)step / (double)o->warmup;
    return lr;
}

void ph_optim_step(const ph_optim *o, ph_param *const *params, int np, int64_t step)
{
    float lr = (float)ph_optim_lr(o, step);
    /* One kernel call per run of tensors back to back in the arena (ph_params_pack): the
     * update is element by element, so the runs give the same values as tensor by tensor,
     * and the zeros between tensors stay zero. */
    for (int i = np - 1; i >= 0;) {
        ph_param *p = params[i];
        if (!p->trainable) {
            i--;
            continue;
        }
        size_t n;
        const int next = ph_params_run(params, i, !o->decay_norm && o->weight_decay != 0, &n);
        float decay = p->no_decay && !o->decay_norm ? 0.0f : o->weight_decay;
        if (o->kind == PH_OPT_SGD)
            PH_KERNEL(p->be, sgd_update, "updating parameters", p->w, p->g, p->m, n, lr, o->momentum, decay,
                      o->nesterov, step);
        else
            PH_KERNEL(p->be, adam_update, "updating parameters", p->w, p->g, p->m, p->v, n, lr, o->beta1, o->beta2,
                      o->eps, decay, o->kind == PH_OPT_ADAMW, step);
        i = next;
    }
}
