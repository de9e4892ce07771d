/* render.c: one field of view of a well, in the five Cell Painting channels.
 *
 * Cells are ellipses with soft edges, each with an elliptical nucleus; what
 * the stains show follows the Cell Painting assay (Bray et al., Nat. Protoc.
 * 2016): Hoechst (DNA) the nucleus, concanavalin A (ER) the reticulum,
 * densest round the nucleus, SYTO 14 (RNA) nucleoli and cytoplasmic RNA,
 * phalloidin and WGA (AGP) the cortex, membrane and stress fibres, MitoTracker
 * (Mito) the mitochondria.  Every property is driven by one axis of the
 * latent phenotype z (hcs.h), so the image carries z, blurred by cell-to-cell
 * variation, texture and camera noise.  The technical effects of the plate
 * and batch (screen.c) and the vignetting of the field multiply the signal;
 * the dark offset and the noise are added last (shot noise grows with the
 * signal, read noise does not).
 *
 * Draws: cells from (seed, field, HCS_SUB_FIELD_CELLS), texture lattices
 * from HCS_SUB_FIELD_TEXTURE, noise from HCS_SUB_FIELD_CAMERA: a pure
 * function of the split seed and the field. */
#include "hcs.h"

#include "core/error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const hcs_channel_names[HCS_CHANNELS] = {"DNA", "ER", "RNA", "AGP", "Mito"};
const char *const hcs_axis_names[HCS_AXES] = {
    "cell_count", "cell_area", "cell_shape", "nucleus_area", "nucleus_shape", "dna", "dna_texture", "er",
    "er_texture", "nucleoli", "rna", "agp", "agp_fibres", "mito", "mito_fragmentation", "mitotic"};

enum { TEXTURES = 4, TEX_DNA = 0, TEX_ER, TEX_RNA, TEX_MITO, NUCLEOLI_MAX = 3 };

static double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }
static double clamp01(double x) { return x < 0 ? 0 : x > 1 ? 1 : x; }

/* Value noise on a lattice of 2-pixel spacing, bilinear in between: texture
 * a few pixels across, the grain of reticulum, chromatin and mitochondria. */
typedef struct {
    int n;          /* lattice side */
    float *v;       /* [TEXTURES, n, n] in [0, 1) */
} lattice;

static void lattice_init(lattice *t, int size, uint32_t seed, int64_t field)
{
    t->n = size / 2 + 2;
    t->v = malloc(sizeof(float) * TEXTURES * (size_t)t->n * t->n);
    PH_CHECK_ALLOC(t->v, "allocating texture lattices");
    ph_rng r;
    ph_rng_init(&r, seed, PH_STREAM_CONTENT, (uint64_t)field, HCS_SUB_FIELD_TEXTURE);
    for (size_t i = 0; i < TEXTURES * (size_t)t->n * t->n; i++) t->v[i] = (float)ldexp(ph_rng_u32(&r), -32);
}

static double lattice_at(const lattice *t, int k, double x, double y)
{
    x *= 0.5, y *= 0.5;
    int i = (int)x, j = (int)y;
    double fx = x - i, fy = y - j;
    const float *p = t->v + ((size_t)k * t->n + j) * t->n + i;
    return (1 - fy) * ((1 - fx) * p[0] + fx * p[1]) + fy * ((1 - fx) * p[t->n] + fx * p[t->n + 1]);
}

/* One cell's drawn properties. */
typedef struct {
    double cx, cy, major, minor, cth, sth;       /* cell ellipse */
    double h2c, h2s, h3c, h3s;                   /* outline harmonics: a cell is not an ellipse */
    double nx, ny, nmajor, nminor, ncth, nsth;   /* nucleus ellipse (centre absolute) */
    double dna, er, rna, agp, mito, nucleolus;   /* stain amounts */
    double t_dna, t_er, fibres, frag, period, phase;
    int nucleoli;
    double ox[NUCLEOLI_MAX], oy[NUCLEOLI_MAX], osig;
} cell;

/* Poisson count by inversion (lambda <= 200, so exp(-lambda) is a normal double). */
static int poisson(ph_rng *r, double lambda, int cap)
{
    double p = exp(-lambda), cdf = p, u = ph_rng_uniform(r);
    int k = 0;
    while (u > cdf && k < cap) {
        k++;
        p *= lambda / k;
        cdf += p;
    }
    return k;
}

static void cell_draw_params(ph_rng *r, const hcs_render_params *rp, const float *z, cell *c)
{
    const double R0 = rp->cell_radius, p_mitotic = fmin(0.8, 0.04 * exp(0.8 * z[HCS_AX_MITOTIC]));
    const int mitotic = ph_rng_uniform(r) < p_mitotic;
    double R = R0 * exp(0.15 * z[HCS_AX_CELL_AREA] + 0.08 * hcs_normal(r));
    double elong = exp(fmax(0, 0.3 + 0.25 * z[HCS_AX_CELL_SHAPE] + 0.12 * hcs_normal(r)));
    double Rn = 0.42 * R0 * exp(0.15 * z[HCS_AX_NUC_AREA] + 0.06 * hcs_normal(r));
    double nelong = exp(fmax(0, 0.15 + 0.2 * z[HCS_AX_NUC_SHAPE] + 0.08 * hcs_normal(r)));
    if (mitotic) R *= 0.7, elong = 1.05, Rn *= 0.6, nelong = 1.1; /* rounded up, chromatin condensed */
    const double th = M_PI * ph_rng_uniform(r), nth = th + 0.3 * hcs_normal(r);
    c->major = R * sqrt(elong), c->minor = R / sqrt(elong);
    c->cth = cos(th), c->sth = sin(th);
    c->nmajor = fmin(Rn * sqrt(nelong), 0.7 * c->major);
    c->nminor = fmin(Rn / sqrt(nelong), 0.7 * c->minor);
    c->ncth = cos(nth), c->nsth = sin(nth);
    const double a2 = 0.12 * ph_rng_uniform(r), p2 = 2 * M_PI * ph_rng_uniform(r);
    const double a3 = 0.10 * ph_rng_uniform(r), p3 = 2 * M_PI * ph_rng_uniform(r);
    c->h2c = a2 * cos(p2), c->h2s = a2 * sin(p2), c->h3c = a3 * cos(p3), c->h3s = a3 * sin(p3);
    /* the nucleus sits off centre by up to a third of the room around it */
    const double room = fmax(0, c->minor - c->nminor), a = 2 * M_PI * ph_rng_uniform(r),
                 d = room * ph_rng_uniform(r) / 3;
    c->nx = c->cx + d * cos(a), c->ny = c->cy + d * sin(a);

    /* stain amounts at full scale 1, each with the cell's own variation */
    c->dna = 0.5 * exp(0.3 * z[HCS_AX_DNA] + 0.12 * hcs_normal(r)) * (mitotic ? 1.8 : 1);
    c->er = 0.3 * exp(0.3 * z[HCS_AX_ER] + 0.12 * hcs_normal(r));
    c->rna = 0.2 * exp(0.3 * z[HCS_AX_RNA] + 0.12 * hcs_normal(r));
    c->nucleolus = mitotic ? 0 : 0.45 * exp(0.3 * z[HCS_AX_NUCLEOLI] + 0.12 * hcs_normal(r));
    c->agp = 0.28 * exp(0.3 * z[HCS_AX_AGP] + 0.12 * hcs_normal(r));
    c->mito = 0.32 * exp(0.3 * z[HCS_AX_MITO] + 0.12 * hcs_normal(r));
    c->t_dna = mitotic ? 0.8 : 0.7 * sigmoid(z[HCS_AX_DNA_TEXTURE] - 1);
    c->t_er = 0.8 * sigmoid(z[HCS_AX_ER_TEXTURE] - 1);
    c->fibres = mitotic ? 0 : 0.9 * sigmoid(z[HCS_AX_AGP_FIBRES] - 1.5);
    c->frag = sigmoid(2 * z[HCS_AX_MITO_FRAG] - 1.5);
    c->period = fmax(2.5, 3 * R0 / 7);
    c->phase = 2 * M_PI * ph_rng_uniform(r);
    c->nucleoli = 1 + (int)ph_rng_below(r, NUCLEOLI_MAX);
    for (int k = 0; k < c->nucleoli; k++) {
        const double b = 2 * M_PI * ph_rng_uniform(r), e = 0.5 * ph_rng_uniform(r);
        c->ox[k] = c->nx + e * c->nminor * cos(b), c->oy[k] = c->ny + e * c->nminor * sin(b);
    }
    c->osig = fmax(0.6, 0.9 * R0 / 7 * exp(0.2 * z[HCS_AX_NUCLEOLI]));
}

/* Adds one cell to acc [size, size, HCS_CHANNELS]. */
static void cell_paint(const cell *c, const lattice *t, int size, float *acc)
{
    const double reach = 1.22 * c->major + 1; /* the outline reaches 1 + 0.12 + 0.10 radii */
    const int x0 = (int)fmax(0, floor(c->cx - reach)), x1 = (int)fmin(size - 1, ceil(c->cx + reach));
    const int y0 = (int)fmax(0, floor(c->cy - reach)), y1 = (int)fmin(size - 1, ceil(c->cy + reach));
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++) {
            const double px = x + 0.5, py = y + 0.5, dx = px - c->cx, dy = py - c->cy;
            const double u = (dx * c->cth + dy * c->sth) / c->major, v = (-dx * c->sth + dy * c->cth) / c->minor;
            const double r2 = u * u + v * v, re = sqrt(r2);
            /* the outline's radius at this angle: 1 + a2 cos(2 phi - p2) + a3 cos(3 phi - p3),
             * with cos and sin of 2 phi and 3 phi from (u, v) (no atan2) */
            double outline = 1;
            if (r2 > 1e-12) {
                const double c2 = (u * u - v * v) / r2, s2 = 2 * u * v / r2;
                const double c3 = (u * u * u - 3 * u * v * v) / (r2 * re), s3 = (3 * u * u * v - v * v * v) / (r2 * re);
                outline += c->h2c * c2 + c->h2s * s2 + c->h3c * c3 + c->h3s * s3;
            }
            const double rc = re / outline;
            /* coverage of the pixel by the ellipse: a one-pixel ramp across its edge */
            const double wc = clamp01((1 - rc) * c->minor + 0.5);
            if (wc <= 0) continue;
            const double ndx = px - c->nx, ndy = py - c->ny;
            const double un = (ndx * c->ncth + ndy * c->nsth) / c->nmajor,
                         vn = (-ndx * c->nsth + ndy * c->ncth) / c->nminor;
            const double rn = sqrt(un * un + vn * vn);
            const double wn = fmin(wc, clamp01((1 - rn) * c->nminor + 0.5)), wy = wc - wn;
            const double n_dna = lattice_at(t, TEX_DNA, px, py), n_er = lattice_at(t, TEX_ER, px, py);
            const double n_rna = lattice_at(t, TEX_RNA, px, py), n_mito = lattice_at(t, TEX_MITO, px, py);
            float *o = acc + ((size_t)y * size + x) * HCS_CHANNELS;

            o[HCS_DNA] += (float)(wn * c->dna * (0.8 + 0.2 * (1 - fmin(1, rn * rn))) *
                                  fmax(0, 1 + 3 * c->t_dna * (n_dna - 0.5)));
            double nucleoli = 0;
            for (int k = 0; k < c->nucleoli; k++) {
                const double ex = px - c->ox[k], ey = py - c->oy[k];
                nucleoli += exp(-(ex * ex + ey * ey) / (2 * c->osig * c->osig));
            }
            o[HCS_RNA] += (float)(wy * c->rna * (0.6 + 0.8 * n_rna) + wn * (0.3 * c->rna + c->nucleolus * nucleoli));
            /* ER: densest at the nuclear envelope, thinning towards the cell's edge */
            const double envelope = exp(-pow((rn - 1) * c->nminor, 2));
            o[HCS_ER] += (float)(wy * c->er * (1.25 - 0.75 * rc) * fmax(0, 1 + 3 * c->t_er * (n_er - 0.5)) +
                                 wc * 0.6 * c->er * envelope);
            /* AGP: cortex and membrane at the edge, stress fibres along the long axis */
            const double cortex = exp(-pow((1 - rc) * c->minor / 1.2, 2));
            const double fibre = 0.5 + 0.5 * cos(2 * M_PI * v * c->minor / c->period + c->phase);
            o[HCS_AGP] += (float)(wc * c->agp * (0.3 + 0.9 * cortex + 0.8 * c->fibres * fibre));
            /* Mito: a tubular network that fragments into bright puncta */
            const double tubular = 0.5 + n_mito, punctate = 4 * fmax(0, n_mito - 0.55);
            o[HCS_MITO] += (float)(wy * c->mito * (1.2 - 0.7 * rc) * ((1 - c->frag) * tubular + c->frag * punctate));
        }
}

int hcs_field_render(const hcs_render_params *rp, const float *zin, const hcs_plate_effects *e,
                     const hcs_well *w, const hcs_screen *s, uint32_t seed, int64_t field_id, uint8_t *img)
{
    const int S = rp->size;
    float z[HCS_AXES];
    for (int a = 0; a < HCS_AXES; a++) z[a] = zin[a] < -4 ? -4 : zin[a] > 4 ? 4 : zin[a];
    float *acc = calloc((size_t)S * S * HCS_CHANNELS, sizeof *acc);
    PH_CHECK_ALLOC(acc, "allocating a field of view");
    lattice tex;
    lattice_init(&tex, S, seed, field_id);

    /* Cells are placed over the field and a margin of one radius, so that
     * cells cut by the field's edge are as common as in a real image;
     * `cells` is the mean number whose centre lies inside. */
    ph_rng r;
    ph_rng_init(&r, seed, PH_STREAM_CONTENT, (uint64_t)field_id, HCS_SUB_FIELD_CELLS);
    const double R0 = rp->cell_radius, span = S + 2 * R0;
    const double lambda = fmin(200, rp->cells * exp(0.35 * z[HCS_AX_CELL_COUNT]) * span * span / ((double)S * S));
    const int n = poisson(&r, lambda, HCS_MAX_CELLS);
    double cx[HCS_MAX_CELLS], cy[HCS_MAX_CELLS];
    int inside = 0;
    for (int i = 0; i < n; i++) {
        /* a cell avoids the centres of those already placed (8 tries): a monolayer, not a pile */
        for (int attempt = 0; attempt < 8; attempt++) {
            cx[i] = -R0 + span * ph_rng_uniform(&r), cy[i] = -R0 + span * ph_rng_uniform(&r);
            int clear = 1;
            for (int j = 0; j < i && clear; j++)
                clear = (cx[i] - cx[j]) * (cx[i] - cx[j]) + (cy[i] - cy[j]) * (cy[i] - cy[j]) > 1.2 * R0 * R0;
            if (clear) break;
        }
        cell c = {.cx = cx[i], .cy = cy[i]};
        cell_draw_params(&r, rp, z, &c);
        cell_paint(&c, &tex, S, acc);
        inside += cx[i] >= 0 && cx[i] < S && cy[i] >= 0 && cy[i] < S;
    }
    free(tex.v);

    /* Image formation: plate gain and gradients, edge wells a little brighter
     * (evaporation concentrates the dyes), vignetting, dark offset, noise. */
    const double rowf = s->rows > 1 ? 2.0 * w->row / (s->rows - 1) - 1 : 0;
    const double colf = s->cols > 1 ? 2.0 * w->col / (s->cols - 1) - 1 : 0;
    double factor[HCS_CHANNELS];
    for (int k = 0; k < HCS_CHANNELS; k++)
        factor[k] = e->gain[k] * (1 + e->row_grad[k] * rowf) * (1 + e->col_grad[k] * colf) * (w->edge ? 1.05 : 1);
    const double half = S / 2.0, read2 = pow(1.5 / 255, 2), shot = 2e-4, cam = rp->camera_noise;
    ph_rng_init(&r, seed, PH_STREAM_CONTENT, (uint64_t)field_id, HCS_SUB_FIELD_CAMERA);
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            const double ry = (y + 0.5 - half) / half, rx = (x + 0.5 - half) / half;
            const double vig = 1 - e->vignette * (rx * rx + ry * ry) / 2;
            const size_t i = ((size_t)y * S + x) * HCS_CHANNELS;
            for (int k = 0; k < HCS_CHANNELS; k++) {
                const double I = e->offset[k] + factor[k] * vig * acc[i + k];
                /* near-Gaussian noise from four 16-bit uniforms (variance 1) */
                const uint32_t a = ph_rng_u32(&r), b = ph_rng_u32(&r);
                const double g = ((a & 0xffff) + (a >> 16) + (b & 0xffff) + (b >> 16) - 2 * 65535.0) *
                                 (sqrt(3.0) / 65536.0);
                const double v = 255 * (I + cam * sqrt(read2 + shot * I) * g);
                img[i + k] = (uint8_t)(v <= 0 ? 0 : v >= 255 ? 255 : lround(v));
            }
        }
    free(acc);
    return inside;
}
