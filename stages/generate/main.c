/* phasor-generate: config -> one HDF5 sample file per split.
 *
 * Every rank generates its contiguous, chunk-aligned range of sample indices
 * (a pure function of seed and index) and writes it collectively, block by
 * block, into one shared file published atomically. */
#include "challenges/challenge.h"
#include "challenges/generate_config.h"
#include "core/config.h"
#include "core/error.h"
#include "core/fsutil.h"
#include "core/progress.h"
#include "io/provenance.h"
#include "core/stage.h"
#include "core/strbuf.h"
#include "core/version.h"
#include "io/h5samples.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static const cfg_section *const *sections;
static int nsections;

/* A split key that another challenge added may not be set. */
static void split_keys_check(const cfg *c, const ph_challenge *ch, const char **splits, int nsplits)
{
    for (int i = 0; i < ph_challenge_count; i++) {
        const ph_challenge *o = ph_challenges[i];
        for (int k = 0; k < o->nsplit_keys && o != ch; k++)
            for (int s = 0; s < nsplits; s++) {
                char section[256];
                snprintf(section, sizeof section, "split.%s", splits[s]);
                const char *where = cfg_where(c, section, o->split_keys[k].key);
                if (strcmp(where, "default"))
                    ph_usage_error("config error at %s: [%s] %s belongs to the %s challenge, not %s "
                                   "(remove it)", where, section, o->split_keys[k].key, o->name, ch->name);
            }
    }
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: phasor-generate [options] CONFIG.ini\n"
            "\n"
            "Generates the stimuli of a challenge into one HDF5 sample file per split,\n"
            "OUT_DIR/SPLIT.h5, from any number of MPI ranks (mpirun -np P phasor-generate ...).\n"
            "The same config gives the same datasets for any P.\n"
            "\n"
            "options:\n"
            "  --set SECTION.KEY=VALUE  override a config key (repeatable)\n"
            "  --out DIR                same as --set generate.out_dir=DIR\n"
            "  --force                  replace existing outputs (atomically, on success)\n"
            "  --resume                 keep the split files that a run of the same config\n"
            "                           completed; generate only the others\n"
            "  --quiet                  no progress lines\n"
            "  --check CONFIG.ini...    validate the configs (keys, ranges, the challenge's own\n"
            "                           checks) and exit\n"
            "  --help                   this text and every config key\n"
            "  --version                version and git commit\n"
            "\n"
            "exit status: 0 success, 2 usage or config error, 1 runtime failure.\n"
            "Outputs appear as NAME.partial and are renamed to NAME only when complete.\n"
            "\n"
            "challenges:\n");
    for (int i = 0; i < ph_challenge_count; i++)
        fprintf(f, "  %-14s %s\n", ph_challenges[i]->name, ph_challenges[i]->summary);
    fprintf(f, "\nconfig keys (key, type, default, range, meaning):\n");
    cfg_help(f, sections, nsections);
}


/* Output folder and files are checked on rank 0 before any work starts. */
static void outputs_check(const char *out_dir, const char **splits, int nsplits, int keep)
{
    char msg[1024] = "";
    if (ph_rank() == 0) {
        if (ph_mkdir_p(out_dir))
            snprintf(msg, sizeof msg, "cannot create output directory %s: %s (choose a writable "
                     "--out)", out_dir, strerror(errno));
        else if (access(out_dir, W_OK | X_OK))
            snprintf(msg, sizeof msg, "output directory %s is not writable: %s (choose a "
                     "writable --out)", out_dir, strerror(errno));
        for (int s = 0; s < nsplits && !msg[0] && !keep; s++) {
            char path[4200];
            snprintf(path, sizeof path, "%s/%s.h5", out_dir, splits[s]);
            if (ph_exists(path))
                snprintf(msg, sizeof msg, "output %s already exists (pass --force to replace it, "
                         "or choose another --out)", path);
        }
    }
    ph_usage_check_bcast(msg);
}

/* --resume: a split file that a run of the same effective config completed is kept.
 * Files appear under their final name only when whole, so the config attribute and N
 * decide; a file from another config is an error, never overwritten without --force. */
static int split_kept(const char *path, int64_t n, const char *effective)
{
    int exists = ph_rank() == 0 ? ph_exists(path) : 0;
    PH_CHECK_MPI(MPI_Bcast(&exists, 1, MPI_INT, 0, MPI_COMM_WORLD), "sharing whether an output exists",
                 "rank 0 failed");
    if (!exists) return 0;
    ph_samples_reader r;
    ph_samples_open(&r, MPI_COMM_WORLD, path);
    char *text = ph_samples_attr(&r, "config");
    int same = text && !strcmp(text, effective) && r.n == n;
    free(text);
    ph_samples_reader_close(&r);
    if (!same)
        ph_usage_error("output %s exists but was written from another config (pass --force to "
                       "replace it, or choose another --out)", path);
    return 1;
}

typedef struct {
    double seconds, generate_seconds, write_seconds, publish_seconds;
    long long file_bytes, logical_bytes;
    int64_t chunk;
} split_stats;

/* After the first write round (a share `done` of every rank's samples): the file's growth since
 * its creation (at_create bytes, rank 0), compression included, extrapolated to all n samples,
 * against the folder's free space; a run that cannot fit stops now with one line instead of
 * filling the disk. */
static void space_check(ph_samples_writer *w, const char *path, int64_t n, double done, double at_create)
{
    char msg[1024] = "";
    if (ph_rank() == 0) {
        struct stat st;
        struct statvfs fs;
        char dir[4200];
        ph_dirname(w->partial_path, dir, sizeof dir);
        if (stat(w->partial_path, &st) == 0 && statvfs(dir, &fs) == 0 && done > 0) {
            /* what the file held at creation (parallel HDF5 allocates unfiltered datasets
             * whole) is already on disk; the rest grows with the samples */
            const double now = (double)st.st_blocks * 512, grown = now - at_create;
            const double need = at_create + grown / done, free_b = (double)fs.f_bavail * (double)fs.f_frsize;
            if (need - now > free_b)
                snprintf(msg, sizeof msg, "%s: %lld samples would take about %.3g GB (measured on the first %.2g%%), "
                         "but %s has %.3g GB free; free space, generate fewer samples or choose another --out",
                         path, (long long)n, need / 1e9, 100 * done, dir, free_b / 1e9);
        }
    }
    PH_CHECK_MPI(MPI_Bcast(msg, sizeof msg, MPI_CHAR, 0, MPI_COMM_WORLD), "sharing the space check", "another rank failed");
    if (msg[0]) PH_FAIL_ALL(MPI_COMM_WORLD, "checking free space", msg, "nothing was published");
}

static split_stats generate_split(const ph_challenge *ch, void *params, const cfg *c,
                                  const char *split, const char *out_dir, const char *config_text,
                                  int quiet)
{
    char section[256], path[4200], condition[128], created[32], label[96];
    snprintf(section, sizeof section, "split.%s", split);
    snprintf(path, sizeof path, "%s/%s.h5", out_dir, split);
    int64_t n = cfg_int(c, section, "n");
    uint32_t seed = (uint32_t)cfg_int(c, section, "seed");
    if (ch->split_load) ch->split_load(params, c, section);
    ph_field fields[PH_MAX_FIELDS];
    int nf = ch->fields(params, fields, PH_MAX_FIELDS);
    ch->condition(params, condition, sizeof condition);
    ph_created_now(MPI_COMM_WORLD, created, sizeof created);

    double t0 = ph_now();
    ph_samples_writer w;
    ph_samples_create(&w, MPI_COMM_WORLD, path, n, fields, nf, cfg_int(c, "generate", "chunk"),
                      (int)cfg_int(c, "generate", "deflate"));
    const int64_t chunk = w.chunk;
    int64_t block = cfg_int(c, "generate", "write_block");
    block = (block + chunk - 1) / chunk * chunk;
    ph_provenance prov = {"generate", ch->name, split, condition, seed, config_text, created};
    ph_provenance_write(&w, &prov);
    struct stat created_st;
    const double at_create = ph_rank() == 0 && stat(w.partial_path, &created_st) == 0 ? (double)created_st.st_blocks * 512 : 0;

    int64_t start, count;
    ph_rank_range(n, chunk, ph_rank(), ph_size(), &start, &count);
    long long my_rounds = (count + block - 1) / block, rounds = 0;
    PH_CHECK_MPI(MPI_Allreduce(&my_rounds, &rounds, 1, MPI_LONG_LONG, MPI_MAX, MPI_COMM_WORLD),
                 "agreeing on the number of write rounds", "another rank failed");

    size_t bytes[PH_MAX_FIELDS];
    uint8_t *buf[PH_MAX_FIELDS];
    long long logical = 0;
    for (int f = 0; f < nf; f++) {
        bytes[f] = ph_field_sample_bytes(&fields[f]);
        logical += (long long)bytes[f] * n;
        buf[f] = malloc(bytes[f] * (size_t)(block < count ? block : (count ? count : 1)));
        PH_CHECK_ALLOC(buf[f], "allocating a write block");
    }

    ph_progress prog;
    snprintf(label, sizeof label, "generate %s", split);
    ph_progress_init(&prog, label, "samples", n, !quiet && ph_rank() == 0);
    double gen_s = 0;
    for (long long r = 0; r < rounds; r++) {
        int64_t s0 = start + r * block;
        int64_t m = count - r * block;
        m = m < 0 ? 0 : (m > block ? block : m);
        double tg = ph_now();
        for (int f = 0; f < nf; f++) memset(buf[f], 0, bytes[f] * (size_t)m);
        for (int64_t i = 0; i < m; i++) {
            void *slots[PH_MAX_FIELDS];
            for (int f = 0; f < nf; f++) slots[f] = buf[f] + bytes[f] * (size_t)i;
            ch->generate(params, seed, s0 + i, slots);
        }
        gen_s += ph_now() - tg;
        for (int f = 0; f < nf; f++) ph_samples_write(&w, f, s0, m, buf[f]);
        /* Every rank advances at the same pace; rank 0's share stands for all. */
        int64_t mine = s0 + m - start;
        ph_progress_update(&prog, count ? mine * n / count : n);
        if (r == 0 && rounds > 1) space_check(&w, path, n, count ? (double)(s0 + m - start) / count : 1, at_create);
    }
    ph_samples_close(&w);
    ph_progress_finish(&prog);
    for (int f = 0; f < nf; f++) free(buf[f]);

    split_stats st = {ph_now() - t0, gen_s, w.write_seconds, w.publish_seconds, 0, logical, chunk};
    double local[3] = {st.seconds, st.generate_seconds, st.write_seconds}, maxed[3];
    PH_CHECK_MPI(MPI_Reduce(local, maxed, 3, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD),
                 "collecting timings", "another rank failed");
    if (ph_rank() == 0) {
        struct stat sb;
        st.seconds = maxed[0], st.generate_seconds = maxed[1], st.write_seconds = maxed[2];
        st.file_bytes = stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
    }
    return st;
}

/* One JSON line per split in OUT_DIR/generate.jsonl, appended (a run log). */
static void log_split(const char *out_dir, const char *split, const char *challenge, int64_t n,
                      const split_stats *st, int deflate, int64_t chunk)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/generate.jsonl", out_dir);
    ph_strbuf b = {0};
    ph_sb_printf(&b, "{\"stage\":\"generate\",\"challenge\":");
    ph_sb_json_str(&b, challenge);
    ph_sb_printf(&b, ",\"split\":");
    ph_sb_json_str(&b, split);
    ph_sb_printf(&b,
                 ",\"n\":%lld,\"ranks\":%d,\"chunk\":%lld,\"deflate\":%d,\"seconds\":%.6f,"
                 "\"generate_seconds\":%.6f,\"write_seconds\":%.6f,\"publish_seconds\":%.6f,"
                 "\"samples_per_second\":%.3f,"
                 "\"logical_bytes\":%lld,\"file_bytes\":%lld}\n",
                 (long long)n, ph_size(), (long long)chunk, deflate, st->seconds,
                 st->generate_seconds, st->write_seconds, st->publish_seconds,
                 st->seconds > 0 ? (double)n / st->seconds : 0, st->logical_bytes, st->file_bytes);
    FILE *f = fopen(path, "a");
    PH_CHECK_LIBC(f != NULL, "opening the metrics log", "check that the output directory is writable");
    int bad = fputs(b.s, f) == EOF;
    bad |= fclose(f) != 0;
    PH_CHECK_LIBC(!bad, "writing the metrics log", "check free space");
    free(b.s);
}

/* The split names (they become file names) and keys; returns their number. */
static int splits_check(const cfg *c, const ph_challenge *ch, const char *path, const char **splits)
{
    int nsplits = cfg_section_names(c, "split", splits, 256);
    for (int s = 0; s < nsplits; s++)
        if (splits[s][strspn(splits[s], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")] != 0)
            ph_usage_error("config error in %s: split name '%s' may only use letters, digits, '_' "
                           "and '-' (it becomes a file name)", path, splits[s]);
    split_keys_check(c, ch, splits, nsplits);
    return nsplits;
}

/* --check: what a run checks of its config before it generates anything. */
static void config_check(const cfg *c, const char *path)
{
    const ph_challenge *ch = ph_challenge_find(cfg_str(c, "generate", "challenge"));
    void *params = ch->params_load(c);
    const char *splits[256];
    splits_check(c, ch, path, splits);
    ch->params_free(params);
}

int main(int argc, char **argv)
{
    ph_stage_begin(&argc, &argv, "generate");
    sections = ph_generate_sections(&nsections);
    ph_stage_options o;
    ph_stage_options_parse(argc, argv, "generate.out_dir", NULL, 1, usage, &o);
    if (o.check) ph_stage_check_configs(&o, sections, nsections, config_check);

    cfg c;
    cfg_init(&c, sections, nsections);
    ph_config_load(&c, o.config_path);
    for (int i = 0; i < o.nsets; i++) cfg_override(&c, o.sets[i]);
    cfg_validate(&c);

    const ph_challenge *ch = ph_challenge_find(cfg_str(&c, "generate", "challenge"));
    void *params = ch->params_load(&c);
    const char *splits[256];
    int nsplits = splits_check(&c, ch, o.config_path, splits);
    const char *out_dir = cfg_str(&c, "generate", "out_dir");
    outputs_check(out_dir, splits, nsplits, o.force || o.resume);
    /* one run at a time per folder; the check again under the lock, as a run
     * that held it may have published since */
    ph_out_dir_lock(out_dir);
    outputs_check(out_dir, splits, nsplits, o.force || o.resume);
    char *effective = cfg_effective_text(&c);

    for (int s = 0; s < nsplits; s++) {
        char section[256];
        snprintf(section, sizeof section, "split.%s", splits[s]);
        int64_t n = cfg_int(&c, section, "n");
        char path[4200];
        snprintf(path, sizeof path, "%s/%s.h5", out_dir, splits[s]);
        if (o.resume && split_kept(path, n, effective)) {
            if (ph_rank() == 0 && !o.quiet)
                fprintf(stderr, "phasor-generate: kept %s (complete, same config)\n", path);
            continue;
        }
        split_stats st = generate_split(ch, params, &c, splits[s], out_dir, effective, o.quiet);
        if (ph_rank() == 0) {
            log_split(out_dir, splits[s], ch->name, n, &st, (int)cfg_int(&c, "generate", "deflate"), st.chunk);
            if (!o.quiet)
                fprintf(stderr, "phasor-generate: wrote %s/%s.h5: %lld samples, %.1f MB on disk, "
                        "%.2fs (%.0f samples/s, %.0f%% in HDF5 writes)\n", out_dir, splits[s],
                        (long long)n, st.file_bytes / 1e6, st.seconds, n / st.seconds,
                        100.0 * st.write_seconds / st.seconds);
        }
    }
    free(effective);
    ch->params_free(params);
    cfg_free(&c);
    ph_stage_end();
    return 0;
}
