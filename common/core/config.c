/* config.c: INI parsing (libinih), typed validation, overrides, help and effective text. */
#include "config.h"

#include "error.h"
#include "strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <strings.h>
#include <sys/stat.h>

const char *const cfg_type_names[CFG_TYPE_COUNT] = {
    [CFG_INT] = "int", [CFG_REAL] = "real", [CFG_BOOL] = "bool",
    [CFG_STRING] = "string", [CFG_ENUM] = "choice",
};

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    PH_CHECK_ALLOC(d, "copying a config string");
    return d;
}

void cfg_init(cfg *c, const cfg_section *const *sections, int nsections)
{
    memset(c, 0, sizeof *c);
    c->sections = sections;
    c->nsections = nsections;
    snprintf(c->source, sizeof c->source, "(no file)");
}

void cfg_free(cfg *c)
{
    for (int i = 0; i < c->nentries; i++) {
        free(c->entries[i].section);
        free(c->entries[i].key);
        free(c->entries[i].value);
    }
    free(c->entries);
    c->entries = NULL;
    c->nentries = c->cap = 0;
}

static cfg_entry *entry_find(const cfg *c, const char *section, const char *key)
{
    for (int i = c->nentries - 1; i >= 0; i--)
        if (!strcmp(c->entries[i].section, section) && !strcmp(c->entries[i].key, key))
            return &c->entries[i];
    return NULL;
}

static void entry_add(cfg *c, const char *section, const char *key, const char *value,
                      const char *where)
{
    if (c->nentries == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 32;
        c->entries = realloc(c->entries, (size_t)c->cap * sizeof *c->entries);
        PH_CHECK_ALLOC(c->entries, "growing the config table");
    }
    cfg_entry *e = &c->entries[c->nentries++];
    e->section = xstrdup(section);
    e->key = xstrdup(key);
    e->value = xstrdup(value);
    snprintf(e->where, sizeof e->where, "%s", where);
}

/* ---- parsing ------------------------------------------------------------ */

/* One file of a cfg_read_files block: its path as the including file names it, its identity
 * ("device:inode", or the path when it cannot be read) and its text, or NULL and why not. */
typedef struct {
    const char *path, *id, *text, *why;
} file_rec;

typedef struct parse_ctx {
    cfg *c;
    const char *text;   /* remaining text for the line reader */
    const char *source; /* this file's name, for messages */
    const char *id;     /* its identity (cycles) */
    int line;           /* lines handed to inih so far = current line number */
    int first;          /* index of the first entry this file gave (keys before it are its bases') */
    int depth;          /* 0 for the file named, 1 for one it includes, ... */
    int indented;       /* the current line starts with white space */
    int included;       /* an include line came before (inih reads an indented line after it as its continuation) */
    const struct parse_ctx *parent;
    const file_rec *files; /* NULL: no includes (cfg_parse_text) */
    int nfiles;
    struct bundle *scan;   /* cfg_read_files: only collect the included files */
    char err[512];
} parse_ctx;

static char *read_line(char *str, int num, void *stream)
{
    parse_ctx *p = stream;
    if (!*p->text) return NULL;
    int n = 0;
    while (p->text[n] && p->text[n] != '\n' && n < num - 2) {
        str[n] = p->text[n];
        n++;
    }
    size_t used = (size_t)n;
    p->line++;
    p->indented = n && isspace((unsigned char)str[0]);
    /* inih reads through a fixed buffer: the rest of a longer line would come
     * back as a line of its own, read as a key or refused at the wrong line. */
    if (p->text[used] && p->text[used] != '\n') {
        if (!p->err[0])
            snprintf(p->err, sizeof p->err, "config error at %s:%d: line longer than %d characters (shorten it)",
                     p->source, p->line, num - 2);
        while (p->text[used] && p->text[used] != '\n') used++;
    }
    if (p->text[used] == '\n') {
        str[n++] = '\n';
        used++;
    }
    str[n] = 0;
    p->text += used;
    return str;
}

/* FILE of "include = FILE" in the file `from`: relative to from's folder unless absolute. */
static char *include_path(const char *from, const char *file)
{
    const char *slash = strrchr(from, '/');
    size_t dir = file[0] == '/' || !slash ? 0 : (size_t)(slash - from) + 1;
    char *path = malloc(dir + strlen(file) + 1);
    PH_CHECK_ALLOC(path, "naming an included config");
    memcpy(path, from, dir);
    strcpy(path + dir, file);
    return path;
}

/* The identity of a file, to recognise it under another name: "device:inode". */
static void file_id(const char *path, char *id, size_t n)
{
    struct stat st;
    if (stat(path, &st) == 0)
        snprintf(id, n, "%llu:%llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
    else
        snprintf(id, n, "%s", path);
}

/* The bytes cfg_read_files returns: per file "PATH\0ID\0" then "T" and its text, "N" (no such
 * file) or "R" (cannot be read), and "\0". */
struct bundle {
    char *s;
    size_t len, cap;
};

static void bundle_add(struct bundle *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        while (b->len + n + 1 > b->cap) b->cap = b->cap ? 2 * b->cap : 4096;
        b->s = realloc(b->s, b->cap);
        PH_CHECK_ALLOC(b->s, "reading the config files");
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len++] = 0;
}

/* One file's record: path, identity, then "T" and the text, or "N" / "R" when text is NULL. */
static void bundle_add_file(struct bundle *b, const char *path, const char *id, const char *text, int missing)
{
    bundle_add(b, path, strlen(path));
    bundle_add(b, id, strlen(id));
    if (!text) {
        bundle_add(b, missing ? "N" : "R", 1);
        return;
    }
    size_t n = strlen(text);
    char *tagged = malloc(n + 2);
    PH_CHECK_ALLOC(tagged, "reading the config files");
    tagged[0] = 'T';
    memcpy(tagged + 1, text, n + 1);
    bundle_add(b, tagged, n + 1);
    free(tagged);
}

static int bundle_has(const struct bundle *b, const char *path)
{
    for (size_t at = 0; at < b->len;) {
        if (!strcmp(b->s + at, path)) return 1;
        for (int field = 0; field < 3; field++) at += strlen(b->s + at) + 1;
    }
    return 0;
}

static void scan_includes(struct bundle *b, const char *path, const char *id, const char *text, int depth,
                          const parse_ctx *parent);
static int on_pair(void *user, const char *section, const char *key, const char *value);

/* "include = FILE" while cfg_read_files collects the files: read FILE once, then its includes,
 * as deep as parsing will go (a cycle stops at the file already being read). */
static void scan_include(parse_ctx *p, const char *value)
{
    if (!value[0] || p->depth >= CFG_INCLUDE_DEPTH) return;
    char *path = include_path(p->source, value);
    if (!bundle_has(p->scan, path)) {
        char id[320];
        file_id(path, id, sizeof id);
        char *text = cfg_read_file(path);
        bundle_add_file(p->scan, path, id, text, !text && errno == ENOENT);
        int cycle = 0;
        for (const parse_ctx *q = p; q; q = q->parent) cycle |= !strcmp(q->id, id);
        if (text && !cycle) scan_includes(p->scan, path, id, text, p->depth + 1, p);
        free(text);
    }
    free(path);
}

static void scan_includes(struct bundle *b, const char *path, const char *id, const char *text, int depth,
                          const parse_ctx *parent)
{
    parse_ctx q = {.text = text, .source = path, .id = id, .depth = depth, .parent = parent, .scan = b};
    ini_parse_stream(read_line, &q, on_pair, &q);
}

static const file_rec *file_find(const parse_ctx *p, const char *path)
{
    for (int i = 0; i < p->nfiles; i++)
        if (!strcmp(p->files[i].path, path)) return &p->files[i];
    return NULL;
}

static void parse_file(cfg *c, const char *text, const char *source, const char *id, int depth,
                       const parse_ctx *parent, const file_rec *files, int nfiles, char *err, size_t errlen);

/* "include = FILE" before the first section: FILE's keys first, then this file's. */
static void parse_include(parse_ctx *p, const char *value, const char *where)
{
    char hint[400];
    if (value[0] == '/')
        snprintf(hint, sizeof hint, "check the path");
    else
        snprintf(hint, sizeof hint, "check the path; it is relative to %s's folder", p->source);
    if (!value[0]) {
        snprintf(p->err, sizeof p->err,
                 "config error at %s: include needs a file name (include = FILE, relative to %s's folder)", where,
                 p->source);
        return;
    }
    if (!p->files) {
        snprintf(p->err, sizeof p->err,
                 "config error at %s: include = %s: only a config file read from disk includes another "
                 "(remove the line)", where, value);
        return;
    }
    if (p->depth >= CFG_INCLUDE_DEPTH) {
        snprintf(p->err, sizeof p->err,
                 "config error at %s: include = %s: includes nest more than %d files deep (include a base "
                 "directly)", where, value, CFG_INCLUDE_DEPTH);
        return;
    }
    char *path = include_path(p->source, value);
    const file_rec *f = file_find(p, path);
    if (!f || !f->text) {
        snprintf(p->err, sizeof p->err, "config error at %s: include = %s: %s (%s)", where, value,
                 f && f->why[0] == 'R' ? "cannot be read" : "no such file", hint);
    } else {
        int cycle = 0;
        for (const parse_ctx *q = p; q; q = q->parent) cycle |= !strcmp(q->id, f->id);
        if (cycle)
            snprintf(p->err, sizeof p->err,
                     "config error at %s: include = %s: a cycle, %s is already being included (remove one "
                     "of the includes)", where, value, path);
        else
            parse_file(p->c, f->text, f->path, f->id, p->depth + 1, p, p->files, p->nfiles, p->err,
                       sizeof p->err);
    }
    free(path);
    p->first = p->c->nentries; /* what follows is this file's own */
}

static int on_pair(void *user, const char *section, const char *key, const char *value)
{
    parse_ctx *p = user;
    if (p->scan) {
        if (!section[0] && !strcmp(key, "include")) scan_include(p, value);
        return 1;
    }
    if (p->err[0]) return 1;
    char where[320];
    snprintf(where, sizeof where, "%s:%d", p->source, p->line);
    if (!strcmp(key, "include")) {
        if (!section[0] && p->indented && p->included)
            snprintf(p->err, sizeof p->err,
                     "config error at %s: an indented line continues the value above, which phasor does not allow "
                     "(remove the indentation)", where);
        else if (section[0])
            snprintf(p->err, sizeof p->err,
                     "config error at %s: include = %s inside [%s] (put include lines before the first "
                     "section)", where, value, section);
        else
            parse_include(p, value, where);
        p->included = 1;
        return 1;
    }
    if (!section[0]) {
        snprintf(p->err, sizeof p->err,
                 "config error at %s: key '%s' is outside any [section] (put it under its section)",
                 where, key);
        return 1;
    }
    /* A key a base (an included file) gave is replaced; one this file gave twice is an error. */
    const cfg_entry *old = entry_find(p->c, section, key);
    if (old && old - p->c->entries >= p->first && strcmp(old->where, "--set") != 0) {
        snprintf(p->err, sizeof p->err,
                 "config error at %s: [%s] %s is given twice, first at %s (keep one)", where,
                 section, key, old->where);
        return 1;
    }
    entry_add(p->c, section, key, value, where);
    return 1;
}

/* Parses one file's text into c (its includes first); the first error goes to err. */
static void parse_file(cfg *c, const char *text, const char *source, const char *id, int depth,
                       const parse_ctx *parent, const file_rec *files, int nfiles, char *err, size_t errlen)
{
    parse_ctx p = {.c = c, .text = text, .source = source, .id = id, .depth = depth, .parent = parent,
                   .files = files, .nfiles = nfiles, .first = c->nentries};
    int bad = ini_parse_stream(read_line, &p, on_pair, &p);
    if (p.err[0])
        snprintf(err, errlen, "%s", p.err);
    else if (bad > 0)
        snprintf(err, errlen, "config error at %s:%d: not an INI line (use [section] or key = value)", source, bad);
    else if (bad < 0)
        snprintf(err, errlen, "config error in %s: cannot parse (out of memory)", source);
}

void cfg_parse_text(cfg *c, const char *text, const char *source)
{
    snprintf(c->source, sizeof c->source, "%s", source);
    char err[512] = "";
    parse_file(c, text, source, source, 0, NULL, NULL, 0, err, sizeof err);
    if (err[0]) ph_usage_error("%s", err);
}

char *cfg_read_files(const char *path, size_t *size)
{
    char *text = cfg_read_file(path);
    if (!text) return NULL;
    char id[320];
    file_id(path, id, sizeof id);
    struct bundle b = {0};
    bundle_add_file(&b, path, id, text, 0);
    scan_includes(&b, path, id, text, 0, NULL);
    free(text);
    *size = b.len;
    return b.s;
}

void cfg_parse_files(cfg *c, const char *files, size_t size)
{
    int n = 0;
    for (size_t at = 0; at < size; n++)
        for (int field = 0; field < 3 && at < size; field++) at += strnlen(files + at, size - at) + 1;
    file_rec *recs = calloc((size_t)n + 1, sizeof *recs);
    PH_CHECK_ALLOC(recs, "reading the config files");
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        const char *field[3] = {"", "", "N"};
        for (int k = 0; k < 3 && at < size; k++) {
            field[k] = files + at;
            at += strnlen(files + at, size - at) + 1;
        }
        recs[i] = (file_rec){field[0], field[1], field[2][0] == 'T' ? field[2] + 1 : NULL, field[2]};
    }
    if (n == 0 || !recs[0].text) ph_usage_error("config error: no config text (this is a bug)");
    snprintf(c->source, sizeof c->source, "%s", recs[0].path);
    char err[512] = "";
    parse_file(c, recs[0].text, recs[0].path, recs[0].id, 0, NULL, recs, n, err, sizeof err);
    free(recs);
    if (err[0]) ph_usage_error("%s", err);
}

void cfg_override(cfg *c, const char *assignment)
{
    const char *eq = strchr(assignment, '=');
    const char *dot = eq ? memchr(assignment, '.', (size_t)(eq - assignment)) : NULL;
    /* The key is after the last dot before '=', so "split.train.n=5" works. */
    if (dot)
        for (const char *s = dot; s < eq; s++)
            if (*s == '.') dot = s;
    if (!eq || !dot || dot == assignment || dot + 1 == eq)
        ph_usage_error("bad --set '%s': expected section.key=value (for example "
                       "--set pathtracker.length=32)", assignment);
    char section[256], key[256];
    snprintf(section, sizeof section, "%.*s", (int)(dot - assignment), assignment);
    snprintf(key, sizeof key, "%.*s", (int)(eq - dot - 1), dot + 1);
    entry_add(c, section, key, eq + 1, "--set");
}

/* ---- lookup ------------------------------------------------------------- */

static int is_pattern(const cfg_section *s)
{
    size_t n = strlen(s->name);
    return n > 2 && !strcmp(s->name + n - 2, ".*");
}

static const cfg_section *section_spec(const cfg *c, const char *section)
{
    for (int i = 0; i < c->nsections; i++) {
        const cfg_section *s = c->sections[i];
        if (is_pattern(s)) {
            size_t n = strlen(s->name) - 1; /* keep the dot */
            if (!strncmp(section, s->name, n) && section[n]) return s;
        } else if (!strcmp(section, s->name)) {
            return s;
        }
    }
    return NULL;
}

static const cfg_key *key_spec(const cfg_section *s, const char *key)
{
    for (int i = 0; s && i < s->nkeys; i++)
        if (!strcmp(s->keys[i].key, key)) return &s->keys[i];
    return NULL;
}

static const char *value_of(const cfg *c, const char *section, const char *key)
{
    const cfg_entry *e = entry_find(c, section, key);
    if (e) return e->value;
    const cfg_key *k = key_spec(section_spec(c, section), key);
    if (!k) PH_FAIL("looking up a config key", key, "this is a bug: the key has no table entry");
    return k->def ? k->def : "";
}

/* ---- typed values --------------------------------------------------------- */

static int parse_int(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end) return 0;
    *out = v;
    return 1;
}

static int parse_real(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

static int parse_bool(const char *s, int *out)
{
    static const char *yes[] = {"1", "true", "yes", "on"}, *no[] = {"0", "false", "no", "off"};
    for (int i = 0; i < 4; i++) {
        if (!strcasecmp(s, yes[i])) return *out = 1, 1;
        if (!strcasecmp(s, no[i])) return *out = 0, 1;
    }
    return 0;
}

static int enum_has(const char *choices, const char *s)
{
    size_t n = strlen(s);
    for (const char *p = choices; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && !strncmp(p, s, n)) return 1;
        p = bar ? bar + 1 : NULL;
    }
    return 0;
}

static void range_text(const cfg_key *k, char *buf, size_t n)
{
    if (k->type == CFG_INT)
        snprintf(buf, n, "[%.0f, %.0f]", k->min, k->max);
    else if (k->type == CFG_REAL)
        snprintf(buf, n, "[%g, %g]", k->min, k->max);
    else if (k->type == CFG_ENUM)
        snprintf(buf, n, "{%s}", k->choices);
    else if (k->type == CFG_BOOL)
        snprintf(buf, n, "{true, false}");
    else
        snprintf(buf, n, "text");
}

/* Why the line "key = value" of the effective text (cfg_effective_text, which
 * outputs store and a resumed run reads back) would not give back this value,
 * or NULL.  A file can hold long lines and a string starting with ';', --set
 * anything; a number with a leading space reads back as the same number. */
static const char *ini_unsafe(const cfg_key *k, const char *value)
{
    size_t n = strlen(value);
    /* inih's line buffer holds INI_MAX_LINE - 2 characters and the newline (read_line) */
    if (strlen(k->key) + 3 + n > INI_MAX_LINE - 2) return "is too long: 'key = value' must fit one config line";
    if (k->type != CFG_STRING) return NULL;
    if (value[0] == ';') return "starts with ';', which the stored config would read as a comment";
    if (n && (isspace((unsigned char)value[0]) || isspace((unsigned char)value[n - 1])))
        return "starts or ends with white space, which a config file cannot keep";
    for (size_t i = 0; i < n; i++) {
        if (value[i] == '\n') return "holds a line break";
        if (value[i] == ';' && i && isspace((unsigned char)value[i - 1]))
            return "holds ' ;', which starts a comment in a config file";
    }
    return NULL;
}

static void check_value(const cfg_key *k, const char *section, const char *value,
                        const char *where)
{
    const char *unsafe = ini_unsafe(k, value);
    if (unsafe)
        ph_usage_error("config error at %s: [%s] %s = '%s' %s (change the value)", where, section, k->key, value,
                       unsafe);
    char range[256];
    range_text(k, range, sizeof range);
    int64_t iv;
    double rv;
    int bv;
    switch (k->type) {
    case CFG_INT:
        if (!parse_int(value, &iv))
            ph_usage_error("config error at %s: [%s] %s = '%s' is not an integer (give a whole "
                           "number in %s)", where, section, k->key, value, range);
        if (iv < k->min || iv > k->max)
            ph_usage_error("config error at %s: [%s] %s = %s is out of range %s (choose a value "
                           "in range)", where, section, k->key, value, range);
        break;
    case CFG_REAL:
        if (!parse_real(value, &rv))
            ph_usage_error("config error at %s: [%s] %s = '%s' is not a number (give a number "
                           "in %s)", where, section, k->key, value, range);
        if (rv < k->min || rv > k->max)
            ph_usage_error("config error at %s: [%s] %s = %s is out of range %s (choose a value "
                           "in range)", where, section, k->key, value, range);
        break;
    case CFG_BOOL:
        if (!parse_bool(value, &bv))
            ph_usage_error("config error at %s: [%s] %s = '%s' is not a boolean (use true or "
                           "false)", where, section, k->key, value);
        break;
    case CFG_ENUM:
        if (!enum_has(k->choices, value))
            ph_usage_error("config error at %s: [%s] %s = '%s' is not one of %s (pick one of "
                           "them)", where, section, k->key, value, range);
        break;
    case CFG_STRING:
    case CFG_TYPE_COUNT:
        break;
    }
}

void cfg_validate(const cfg *c)
{
    for (int i = 0; i < c->nentries; i++) {
        const cfg_entry *e = &c->entries[i];
        const cfg_section *s = section_spec(c, e->section);
        if (!s) {
            char known[512] = "";
            for (int j = 0; j < c->nsections; j++) {
                size_t n = strlen(known);
                snprintf(known + n, sizeof known - n, "%s%s", j ? ", " : "", c->sections[j]->name);
            }
            ph_usage_error("config error at %s: unknown section [%s] (known sections: %s)",
                           e->where, e->section, known);
        }
        const cfg_key *k = key_spec(s, e->key);
        if (!k) {
            char known[1024] = "";
            for (int j = 0; j < s->nkeys; j++) {
                size_t n = strlen(known);
                snprintf(known + n, sizeof known - n, "%s%s", j ? ", " : "", s->keys[j].key);
            }
            ph_usage_error("config error at %s: unknown key '%s' in [%s] (known keys: %s)",
                           e->where, e->key, e->section, known);
        }
        /* a value a later assignment replaces (--set over the file) is never used */
        if (entry_find(c, e->section, e->key) == e) check_value(k, e->section, e->value, e->where);
    }
    for (int j = 0; j < c->nsections; j++) {
        const cfg_section *s = c->sections[j];
        if (is_pattern(s)) {
            char prefix[128];
            snprintf(prefix, sizeof prefix, "%.*s", (int)strlen(s->name) - 2, s->name);
            const char *names[256];
            int n = cfg_section_names(c, prefix, names, 256);
            if (n < s->min_count)
                ph_usage_error("config error in %s: no [%s.NAME] section (add at least one, for "
                               "example [%s.train])", c->source, prefix, prefix);
            for (int m = 0; m < n; m++)
                for (int i = 0; i < s->nkeys; i++)
                    if (!s->keys[i].def) {
                        char sec[256];
                        snprintf(sec, sizeof sec, "%s.%s", prefix, names[m]);
                        if (!entry_find(c, sec, s->keys[i].key))
                            ph_usage_error("config error in %s: [%s] lacks required key '%s' (%s)",
                                           c->source, sec, s->keys[i].key, s->keys[i].doc);
                    }
        } else {
            for (int i = 0; i < s->nkeys; i++)
                if (!s->keys[i].def && !entry_find(c, s->name, s->keys[i].key))
                    ph_usage_error("config error in %s: [%s] lacks required key '%s' (%s)",
                                   c->source, s->name, s->keys[i].key, s->keys[i].doc);
        }
    }
}

int64_t cfg_int(const cfg *c, const char *section, const char *key)
{
    int64_t v = 0;
    if (!parse_int(value_of(c, section, key), &v))
        PH_FAIL("reading an integer config key", key, "validate the config before reading it");
    return v;
}

double cfg_real(const cfg *c, const char *section, const char *key)
{
    double v = 0;
    if (!parse_real(value_of(c, section, key), &v))
        PH_FAIL("reading a real config key", key, "validate the config before reading it");
    return v;
}

int cfg_bool(const cfg *c, const char *section, const char *key)
{
    int v = 0;
    if (!parse_bool(value_of(c, section, key), &v))
        PH_FAIL("reading a boolean config key", key, "validate the config before reading it");
    return v;
}

const char *cfg_str(const cfg *c, const char *section, const char *key)
{
    return value_of(c, section, key);
}

const char *cfg_where(const cfg *c, const char *section, const char *key)
{
    const cfg_entry *e = entry_find(c, section, key);
    return e ? e->where : "default";
}

static int values_equal(const cfg_key *k, const char *x, const char *y)
{
    int64_t i, j;
    double u, v;
    int p, q;
    switch (k->type) {
    case CFG_INT: return parse_int(x, &i) && parse_int(y, &j) ? i == j : !strcmp(x, y);
    case CFG_REAL: return parse_real(x, &u) && parse_real(y, &v) ? u == v : !strcmp(x, y);
    case CFG_BOOL: return parse_bool(x, &p) && parse_bool(y, &q) ? p == q : !strcmp(x, y);
    default: return !strcmp(x, y);
    }
}

int cfg_diff(const cfg *a, const cfg *b, const char *const *ignore, const char **section, const char **key)
{
    for (int j = 0; j < a->nsections; j++) {
        const cfg_section *s = a->sections[j];
        if (is_pattern(s)) continue;
        for (int i = 0; i < s->nkeys; i++) {
            char name[256];
            snprintf(name, sizeof name, "%s.%s", s->name, s->keys[i].key);
            int skip = 0;
            for (const char *const *g = ignore; g && *g && !skip; g++) skip = !strcmp(*g, name);
            if (skip || values_equal(&s->keys[i], value_of(a, s->name, s->keys[i].key),
                                     value_of(b, s->name, s->keys[i].key)))
                continue;
            *section = s->name, *key = s->keys[i].key;
            return 1;
        }
    }
    return 0;
}

const char *cfg_section_where(const cfg *c, const char *section)
{
    for (int i = 0; i < c->nentries; i++)
        if (!strcmp(c->entries[i].section, section)) return c->entries[i].where;
    return NULL;
}

int cfg_section_names(const cfg *c, const char *prefix, const char **names, int max)
{
    int n = 0;
    size_t len = strlen(prefix);
    for (int i = 0; i < c->nentries; i++) {
        const char *s = c->entries[i].section;
        if (strncmp(s, prefix, len) || s[len] != '.' || !s[len + 1]) continue;
        int seen = 0;
        for (int j = 0; j < n; j++) seen |= !strcmp(names[j], s + len + 1);
        if (!seen && n < max) names[n++] = s + len + 1;
    }
    return n;
}

/* ---- output ------------------------------------------------------------- */

static void section_text(const cfg *c, ph_strbuf *b, const cfg_section *s, const char *name)
{
    ph_sb_printf(b, "[%s]\n", name);
    for (int i = 0; i < s->nkeys; i++)
        ph_sb_printf(b, "%s = %s\n", s->keys[i].key, value_of(c, name, s->keys[i].key));
    ph_sb_printf(b, "\n");
}

char *cfg_effective_text(const cfg *c)
{
    ph_strbuf b = {0};
    ph_sb_printf(&b, "; effective configuration (defaults filled in) from %s\n", c->source);
    for (int j = 0; j < c->nsections; j++) {
        const cfg_section *s = c->sections[j];
        if (!is_pattern(s)) {
            section_text(c, &b, s, s->name);
            continue;
        }
        char prefix[128];
        snprintf(prefix, sizeof prefix, "%.*s", (int)strlen(s->name) - 2, s->name);
        const char *names[256];
        int n = cfg_section_names(c, prefix, names, 256);
        for (int m = 0; m < n; m++) {
            char sec[256];
            snprintf(sec, sizeof sec, "%s.%s", prefix, names[m]);
            section_text(c, &b, s, sec);
        }
    }
    return b.s;
}

void cfg_help(FILE *f, const cfg_section *const *sections, int nsections)
{
    for (int j = 0; j < nsections; j++) {
        const cfg_section *s = sections[j];
        fprintf(f, "\n[%s]  %s\n", s->name, s->doc);
        for (int i = 0; i < s->nkeys; i++) {
            const cfg_key *k = &s->keys[i];
            char range[256];
            range_text(k, range, sizeof range);
            fprintf(f, "  %-18s %-6s %-14s %-22s %s\n", k->key, cfg_type_names[k->type],
                    k->def ? k->def : "(required)", range, k->doc);
        }
    }
}

char *cfg_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    PH_CHECK_ALLOC(buf, "reading the config file");
    for (size_t n; (n = fread(buf + len, 1, cap - len - 1, f)) > 0;) {
        len += n;
        if (len + 1 == cap) {
            buf = realloc(buf, cap *= 2);
            PH_CHECK_ALLOC(buf, "reading the config file");
        }
    }
    int bad = ferror(f), saved = errno;
    fclose(f);
    if (bad) {
        free(buf);
        errno = saved ? saved : EIO; /* keep the real cause, e.g. "Is a directory" */
        return NULL;
    }
    buf[len] = 0;
    return buf;
}

char *cfg_section_text(const char *text, const char *name)
{
    ph_strbuf b = {0};
    ph_sb_printf(&b, "[%s]\n", name);
    const size_t hl = strlen(name) + 2;
    int in = 0;
    for (const char *p = text; *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len && p[0] == '[')
            in = len == hl && !strncmp(p + 1, name, hl - 2) && p[hl - 1] == ']';
        else if (in && len && p[0] != ';' && p[0] != '#')
            ph_sb_printf(&b, "%.*s\n", (int)len, p);
        p += len + (e ? 1 : 0);
    }
    return b.s;
}
