/* report_util.c: reading run folders for the study reports (report_util.h). */
#include "report_util.h"

#include "core/error.h"
#include "core/fsutil.h"
#include "core/stage.h"
#include "core/strbuf.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *report_file_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    ph_strbuf b = {0};
    char buf[4096];
    size_t k;
    ph_sb_printf(&b, "%s", "");
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) ph_sb_printf(&b, "%.*s", (int)k, buf);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

static int split_tabs(char *s, char **out)
{
    int n = 0;
    for (char *p = s, *q; p && n < REPORT_TSV_MAX_COLS; p = q) {
        q = strchr(p, '\t');
        if (q) *q++ = 0;
        out[n++] = p;
    }
    return n;
}

int report_tsv_read(const char *path, const char *producer, report_tsv *t)
{
    memset(t, 0, sizeof *t);
    t->text = report_file_slurp(path);
    if (!t->text) return -1;
    char what[4200], hint[256];
    snprintf(what, sizeof what, "reading %s", path);
    snprintf(hint, sizeof hint, "run %s for this point again", producer);
    char *line2 = strchr(t->text, '\n');
    if (!line2) PH_FAIL(what, "no data row", hint);
    *line2++ = 0;
    char *end = strchr(line2, '\n');
    if (end) *end = 0;
    int nn = split_tabs(t->text, t->names), nc = split_tabs(line2, t->cells);
    if (nn != nc) PH_FAIL(what, "the data row and the header have different numbers of cells", hint);
    t->ncols = nn;
    return 0;
}

const char *report_tsv_get(const report_tsv *t, const char *name)
{
    for (int i = 0; i < t->ncols; i++)
        if (!strcmp(t->names[i], name)) return t->cells[i];
    return NULL;
}

const char *report_tsv_need(const report_tsv *t, const char *name, const char *path)
{
    const char *v = report_tsv_get(t, name);
    if (!v) {
        char what[4200], why[128];
        snprintf(what, sizeof what, "reading %s", path);
        snprintf(why, sizeof why, "no column '%s'", name);
        PH_FAIL(what, why, "the file is not the expected analysis output; rerun the point's analyze stage");
    }
    return v;
}

void report_tsv_free(report_tsv *t)
{
    free(t->text);
    t->text = NULL;
}

void report_log_times(const char *path, double *seconds, time_t *first, time_t *last)
{
    char *text = report_file_slurp(path);
    if (!text) return;
    time_t start = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "== ", 3)) continue;
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        const char *rest = strptime(line + 3, "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (!rest) continue;
        time_t t = timegm(&tm);
        if (strstr(rest, ", start ")) {
            start = t;
        } else if (strstr(rest, " done") && start) {
            *seconds += difftime(t, start);
            if (!*first || start < *first) *first = start;
            if (t > *last) *last = t;
            start = 0;
        }
    }
    free(text);
}

void report_times_add(report_times *t, const double seconds[3], time_t first, time_t last)
{
    for (int k = 0; k < 3; k++) t->seconds[k] += seconds[k];
    if (first && (!t->first || first < t->first)) t->first = first;
    if (last > t->last) t->last = last;
}

void report_sb_duration(ph_strbuf *b, double seconds)
{
    if (seconds >= 3600)
        ph_sb_printf(b, "%.0f h %02.0f min", floor(seconds / 3600), floor(fmod(seconds, 3600) / 60));
    else
        ph_sb_printf(b, "%.0f min %02.0f s", floor(seconds / 60), fmod(seconds, 60));
}

void report_md_compute(ph_strbuf *b, const report_times *t, const char *extra)
{
    const double total = t->seconds[0] + t->seconds[1] + t->seconds[2];
    if (total <= 0) return;
    ph_sb_printf(b, "- Compute (from the stage logs, last attempt of each stage): ");
    report_sb_duration(b, total);
    ph_sb_printf(b, " of stage time (generation ");
    report_sb_duration(b, t->seconds[0]);
    ph_sb_printf(b, ", training ");
    report_sb_duration(b, t->seconds[1]);
    ph_sb_printf(b, ", evaluation ");
    report_sb_duration(b, t->seconds[2]);
    ph_sb_printf(b, "); wall time from the first stage start to the last stage end ");
    report_sb_duration(b, difftime(t->last, t->first));
    ph_sb_printf(b, "%s.\n", extra);
}

void report_outputs_check(const char *cmd, const char *out_dir, const char *const *outputs, int n, int force)
{
    char msg[4400] = "";
    if (ph_rank() == 0) {
        if (ph_mkdir_p(out_dir))
            snprintf(msg, sizeof msg, "%s: cannot create output directory %s: %s (choose a writable --out)", cmd,
                     out_dir, strerror(errno));
        else if (access(out_dir, W_OK | X_OK))
            snprintf(msg, sizeof msg, "%s: output directory %s is not writable (choose a writable --out)", cmd,
                     out_dir);
        for (int i = 0; i < n && !msg[0] && !force; i++) {
            char p[4200];
            snprintf(p, sizeof p, "%s/%s", out_dir, outputs[i]);
            if (ph_exists(p))
                snprintf(msg, sizeof msg, "%s: output %s already exists (pass --force to replace it, or choose "
                         "another --out)", cmd, p);
        }
    }
    ph_usage_check_bcast(msg);
    ph_out_dir_lock(out_dir); /* one run at a time per folder */
}

/* A character that may be part of a path: a working-directory prefix right
 * after one is inside another path, not the start of one. */
static int path_char(char c) { return isalnum((unsigned char)c) || c == '/' || c == '.' || c == '_' || c == '-'; }

void report_write(const char *path, const char *text, size_t len)
{
    char cwd[4096];
    PH_CHECK_LIBC(getcwd(cwd, sizeof cwd) != NULL, "reading the working directory", "run from a folder that exists");
    size_t n = strlen(cwd);
    if (n <= 1) { /* "/": every path is under it; nothing to shorten */
        ph_write_file_atomic(path, text, len);
        return;
    }
    ph_strbuf b = {0};
    size_t from = 0; /* start of the text not yet copied */
    for (size_t i = 0; i + n < len; i++)
        if (!memcmp(text + i, cwd, n) && text[i + n] == '/' && (i == 0 || !path_char(text[i - 1]))) {
            ph_sb_printf(&b, "%.*s", (int)(i - from), text + from);
            from = i += n + 1;
        }
    ph_sb_printf(&b, "%.*s", (int)(len - from), text + from);
    ph_write_file_atomic(path, b.s ? b.s : "", b.len);
    free(b.s);
}
