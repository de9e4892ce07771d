/* relu_freeze.c: ReLU gates frozen at a reference input, for the central differences of
 * ph_model_input_grad_loss_backward (model.h).
 *
 * A ReLU network's input gradient is piecewise constant in the input; a difference
 * quotient (g(x + e v) - g(x - e v)) / 2e is exact only when no unit changes side
 * between the two points, and each unit that does adds a jump / 2e, an error that does
 * not shrink with e (fewer units cross, each weighs more).  Freezing every ReLU's gate at
 * the unperturbed input x makes the perturbed passes exactly the network linearised at
 * x, so the difference is the derivative the package's second-order autodiff computes
 * (ReLU'' = 0), while smooth parts (batch norm, softplus, sigmoid) are still differenced.
 *
 * Record mode keeps a copy of each ReLU call's input, keyed by the input buffer (layers
 * reuse their buffers from pass to pass); frozen mode computes y = x . [ref > 0] and
 * dx = dy . [ref > 0] from that copy. */
#include "nn.h"

#include "core/error.h"

#include <stdlib.h>

enum { FREEZE_MAX = 8192 };

typedef struct {
    const float *key;
    float *ref;
    size_t count;
    const ph_backend *be;
} gate;

static gate gates[FREEZE_MAX];
static int ngates;
static ph_relu_freeze_mode mode = PH_RELU_LIVE;

void ph_relu_freeze_set(ph_relu_freeze_mode m) { mode = m; }
ph_relu_freeze_mode ph_relu_freeze_get(void) { return mode; }

static gate *gate_find(const float *key, size_t count)
{
    for (int i = 0; i < ngates; i++)
        if (gates[i].key == key && gates[i].count == count) return &gates[i];
    return NULL;
}

/* The reference of this call: recorded now (record mode) or looked up (frozen mode). */
const float *ph_relu_freeze_ref(const ph_backend *be, const float *x, size_t count)
{
    gate *g = gate_find(x, count);
    if (mode == PH_RELU_RECORD) {
        if (!g) {
            if (ngates == FREEZE_MAX)
                PH_FAIL("freezing ReLU gates", "more than 8192 ReLU calls in one forward pass",
                        "use fewer time steps or layers with the harmonizer's loss");
            g = &gates[ngates++];
            g->key = x, g->count = count, g->be = be, g->ref = ph_dev_alloc(be, count);
        }
        PH_KERNEL(be, copy2d, "recording a ReLU gate", g->ref, count, x, count, 1, count);
        return g->ref;
    }
    if (!g) PH_FAIL("freezing ReLU gates", "a ReLU call had no recorded reference",
                    "the frozen pass must repeat the recorded forward pass");
    return g->ref;
}

void ph_relu_freeze_free(void)
{
    for (int i = 0; i < ngates; i++) gates[i].be->free(gates[i].ref);
    ngates = 0;
    mode = PH_RELU_LIVE;
}
