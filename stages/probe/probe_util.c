/* probe_util.c: options, output paths and small HDF5 helpers of phasor-probe. */
#include "probe.h"

#include "core/error.h"
#include "core/fsutil.h"
#include "core/stage.h"
#include "core/strbuf.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long probe_parse_long(const char *cmd, const char *opt, const char *v, long lo, long hi)
{
    char *end = NULL;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (end == v || *end || errno || x < lo || x > hi)
        ph_usage_error("%s: %s must be an integer in %ld..%ld, got '%s'", cmd, opt, lo, hi, v);
    return x;
}

double probe_parse_double(const char *cmd, const char *opt, const char *v, double lo, double hi)
{
    char *end = NULL;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno || !(x >= lo && x <= hi))
        ph_usage_error("%s: %s must be a number in %g..%g, got '%s'", cmd, opt, lo, hi, v);
    return x;
}

enum { PROBE_MAX_OPTS = 32, PROBE_OPT_BASE = 256 };

/* Value checks of one option (the table says how). */
static void opt_set(const char *cmd, const probe_opt *op, const char *v)
{
    char flag[64];
    snprintf(flag, sizeof flag, "--%s", op->name);
    switch (op->kind) {
    case PROBE_OPT_STR: *(const char **)op->target = v; break;
    case PROBE_OPT_CHOICE: {
        ph_strbuf list = {0};
        for (int i = 0; op->choices[i]; i++) {
            if (!strcmp(v, op->choices[i])) {
                *(const char **)op->target = op->choices[i];
                free(list.s);
                return;
            }
            ph_sb_printf(&list, "%s%s", i ? (op->choices[i + 1] ? ", " : " or ") : "", op->choices[i]);
        }
        ph_usage_error("%s: %s must be %s, got '%s'", cmd, flag, list.s, v);
    }
    case PROBE_OPT_INT: *(int *)op->target = (int)probe_parse_long(cmd, flag, v, (long)op->lo, (long)op->hi); break;
    case PROBE_OPT_U32: *(uint32_t *)op->target = (uint32_t)probe_parse_long(cmd, flag, v, (long)op->lo, (long)op->hi); break;
    case PROBE_OPT_REAL: *(double *)op->target = probe_parse_double(cmd, flag, v, op->lo, op->hi); break;
    case PROBE_OPT_FLAG: *(int *)op->target = 1; break;
    }
}

int probe_parse_args(const char *cmd, int argc, char **argv, const probe_opt *opts, int nopts, const char **pos,
                     int max_pos, void (*usage)(FILE *f))
{
    struct option longs[PROBE_MAX_OPTS + 2];
    if (nopts > PROBE_MAX_OPTS) PH_FAIL("parsing options", "more than 32 in one table", "a bug in phasor-probe");
    for (int i = 0; i < nopts; i++)
        longs[i] = (struct option){opts[i].name, opts[i].kind == PROBE_OPT_FLAG ? no_argument : required_argument, 0,
                                   PROBE_OPT_BASE + i};
    longs[nopts] = (struct option){"help", no_argument, 0, 'h'};
    longs[nopts + 1] = (struct option){0, 0, 0, 0};
    int npos = 0;
    optind = 1, opterr = 0;
    for (int c; (c = getopt_long(argc, argv, "-:", longs, NULL)) != -1;) {
        if (c == 1) {
            if (npos == max_pos) ph_usage_error("%s: unexpected argument '%s' (see phasor-probe %s --help)", cmd, optarg, cmd);
            pos[npos++] = optarg;
        } else if (c >= PROBE_OPT_BASE && c < PROBE_OPT_BASE + nopts) {
            opt_set(cmd, &opts[c - PROBE_OPT_BASE], optarg);
        } else if (c == 'h') {
            ph_stage_print_and_exit(usage);
        } else if (c == ':') {
            ph_usage_error("%s: option '%s' needs a value", cmd, argv[optind - 1]);
        } else {
            ph_usage_error("%s: unknown option '%s' (see phasor-probe %s --help)", cmd, argv[optind - 1], cmd);
        }
    }
    return npos;
}

void probe_out_path(const char *cmd, const char *dir, const char *name, int force, char *out, size_t n)
{
    if (ph_rank() == 0 && ph_mkdir_p(dir) != 0) {
        char what[4200];
        snprintf(what, sizeof what, "creating the output folder %s", dir);
        PH_FAIL(what, strerror(errno), "check the path and permissions");
    }
    ph_out_dir_lock(dir); /* one run at a time per folder */
    snprintf(out, n, "%s/%s", dir, name);
    int exists = ph_rank() == 0 ? ph_exists(out) : 0;
    PH_CHECK_MPI(MPI_Bcast(&exists, 1, MPI_INT, 0, MPI_COMM_WORLD), "agreeing on the outputs", "another rank failed");
    if (exists && !force)
        ph_usage_error("%s: %s exists (use --force to replace it, or another --out)", cmd, out);
}

static hid_t file_open(const char *path, const char *what)
{
    char msg[4300];
    snprintf(msg, sizeof msg, "opening %s", path);
    if (!ph_exists(path)) ph_usage_error("%s: no such file (give %s)", path, what);
    H5E_auto2_t fn;
    void *data;
    H5Eget_auto2(H5E_DEFAULT, &fn, &data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    H5Eset_auto2(H5E_DEFAULT, fn, data);
    if (f < 0) ph_usage_error("%s: not an HDF5 file, or damaged (give %s)", path, what);
    return f;
}

char *probe_attr_str(const char *path, const char *name, const char *what)
{
    hid_t f = file_open(path, what);
    if (H5Aexists(f, name) <= 0) ph_usage_error("%s has no '%s' attribute: not %s", path, name, what);
    char msg[4300];
    snprintf(msg, sizeof msg, "reading the %s attribute of %s", name, path);
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    PH_CHECK_H5(a, msg, "the file may be damaged");
    hid_t t = H5Aget_type(a);
    PH_CHECK_H5(t, msg, "the file may be damaged");
    if (H5Tget_class(t) != H5T_STRING || H5Tis_variable_str(t))
        ph_usage_error("the '%s' attribute of %s is not a fixed-length string: not %s", name, path, what);
    char *s = calloc(H5Tget_size(t) + 1, 1);
    PH_CHECK_ALLOC(s, msg);
    PH_CHECK_H5(H5Aread(a, t, s), msg, "the file may be damaged");
    H5Tclose(t), H5Aclose(a), H5Fclose(f);
    return s;
}

double probe_attr_f64(const char *path, const char *name)
{
    hid_t f = file_open(path, "a phasor-probe output");
    double v = NAN;
    if (H5Aexists(f, name) > 0) {
        hid_t a = H5Aopen(f, name, H5P_DEFAULT);
        PH_CHECK_H5(a, "opening a file attribute", "the file may be damaged");
        PH_CHECK_H5(H5Aread(a, H5T_NATIVE_DOUBLE, &v), "reading a file attribute", "the file may be damaged");
        H5Aclose(a);
    }
    H5Fclose(f);
    return v;
}

float *probe_read_f32(const char *path, const char *name, int *ndims, int64_t dims[8])
{
    hid_t f = file_open(path, "a phasor-probe output");
    if (H5Lexists(f, name, H5P_DEFAULT) <= 0) {
        H5Fclose(f);
        ph_usage_error("%s has no dataset /%s", path, name);
    }
    char msg[4300];
    snprintf(msg, sizeof msg, "reading /%s of %s", name, path);
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    PH_CHECK_H5(d, msg, "the file may be damaged");
    hid_t s = H5Dget_space(d);
    PH_CHECK_H5(s, msg, "the file may be damaged");
    int nd = H5Sget_simple_extent_ndims(s);
    hsize_t hd[8];
    if (nd < 1 || nd > 8) ph_usage_error("/%s of %s has %d dimensions", name, path, nd);
    H5Sget_simple_extent_dims(s, hd, NULL);
    size_t count = 1;
    for (int i = 0; i < nd; i++) dims[i] = (int64_t)hd[i], count *= (size_t)hd[i];
    float *out = malloc((count ? count : 1) * sizeof *out);
    PH_CHECK_ALLOC(out, msg);
    PH_CHECK_H5(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out), msg, "the file may be damaged");
    H5Sclose(s), H5Dclose(d), H5Fclose(f);
    *ndims = nd;
    return out;
}

void probe_attr_f64_write(ph_samples_writer *w, const char *name, const double *v, int n)
{
    hsize_t d = (hsize_t)n;
    hid_t sp = n == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &d, NULL);
    PH_CHECK_H5(sp, "creating an attribute dataspace", "check the HDF5 installation");
    hid_t a = H5Acreate2(w->file, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    PH_CHECK_H5(a, "creating a file attribute", "check free space");
    PH_CHECK_H5(H5Awrite(a, H5T_NATIVE_DOUBLE, v), "writing a file attribute", "check free space");
    H5Aclose(a), H5Sclose(sp);
}

void probe_write_text(const char *path, const char *text, size_t len) { ph_write_file_atomic(path, text, len); }
