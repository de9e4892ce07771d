/* stage.c: stage start-up shared by all executables. */
#include "stage.h"

#include "config.h"
#include "error.h"
#include "version.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static int g_rank, g_size = 1;

void ph_stage_begin(int *argc, char ***argv, const char *stage)
{
    ph_error_init(stage);
    MPI_Init(argc, argv);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    ph_signals_install();
}

/* The lock files this process holds (rank 0), removed at a clean end. */
enum { HELD_MAX = 16 };
static char held[HELD_MAX][4200];
static int nheld;

/* A clean end removes the lock files (still holding them, so no run can take a removed one:
 * lock_file checks); a failed or killed run leaves its file, unlocked and harmless. */
void ph_stage_end(void)
{
    if (g_rank == 0)
        for (int i = 0; i < nheld; i++) unlink(held[i]);
    MPI_Finalize();
}

int ph_rank(void) { return g_rank; }
int ph_size(void) { return g_size; }

void ph_stage_print_and_exit(void (*print)(FILE *f))
{
    if (g_rank == 0) print(stdout);
    fflush(stdout);
    MPI_Finalize();
    exit(0);
}

void ph_print_version(FILE *f)
{
    fprintf(f, "phasor-%s %s (git %s, schema %d)\n", ph_stage_name(), PHASOR_VERSION,
            PHASOR_GIT_COMMIT, PHASOR_SCHEMA_VERSION);
}

void ph_stage_options_parse(int argc, char **argv, const char *out_key, const char *device_key,
                            int allow_force, void (*usage)(FILE *f), ph_stage_options *o)
{
    static const struct option longs[] = {
        {"set", required_argument, 0, 's'}, {"out", required_argument, 0, 'o'},
        {"force", no_argument, 0, 'f'},     {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},      {"version", no_argument, 0, 'V'},
        {"device", required_argument, 0, 'd'}, {"resume", no_argument, 0, 'r'},
        {"check", no_argument, 0, 'c'},     {0, 0, 0, 0}};
    static char out_set[4200], device_set[256];
    const char *stage = ph_stage_name();
    memset(o, 0, sizeof *o);
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, ":", longs, NULL)) != -1;) {
        switch (c) {
        case 's':
        case 'o':
            if (o->nsets == 64) ph_usage_error("too many --set options (at most 64)");
            if (c == 'o') snprintf(out_set, sizeof out_set, "%s=%s", out_key, optarg);
            o->sets[o->nsets++] = c == 'o' ? out_set : optarg;
            break;
        case 'd':
            if (!device_key)
                ph_usage_error("phasor-%s has no --device (see phasor-%s --help)", stage, stage);
            if (o->nsets == 64) ph_usage_error("too many --set options (at most 64)");
            snprintf(device_set, sizeof device_set, "%s=%s", device_key, optarg);
            o->sets[o->nsets++] = device_set;
            break;
        case 'f':
            if (!allow_force)
                ph_usage_error("phasor-%s has no --force (see phasor-%s --help)", stage, stage);
            o->force = 1;
            break;
        case 'r':
            if (!allow_force)
                ph_usage_error("phasor-%s has no --resume (see phasor-%s --help)", stage, stage);
            o->resume = 1;
            break;
        case 'q': o->quiet = 1; break;
        case 'c': o->check = 1; break;
        case 'h': ph_stage_print_and_exit(usage);
        case 'V': ph_stage_print_and_exit(ph_print_version);
        case ':':
            ph_usage_error("option '%s' needs a value (see phasor-%s --help)", argv[optind - 1], stage);
        default:
            ph_usage_error("unknown option '%s' (see phasor-%s --help)", argv[optind - 1], stage);
        }
    }
    if (o->force && o->resume)
        ph_usage_error("give --force (replace outputs) or --resume (keep finished ones), not both");
    if (o->check && optind < argc) {
        o->configs = argv + optind, o->nconfigs = argc - optind;
        o->config_path = argv[optind];
        return;
    }
    if (optind != argc - 1)
        ph_usage_error("expected one CONFIG.ini argument, got %d (see phasor-%s --help)",
                       argc - optind, stage);
    o->config_path = argv[optind];
}

void ph_stage_check_configs(const ph_stage_options *o, const cfg_section *const *sections, int nsections,
                            void (*more)(const cfg *c, const char *path))
{
    for (int k = 0; k < o->nconfigs; k++) {
        cfg c;
        cfg_init(&c, sections, nsections);
        ph_config_load(&c, o->configs[k]);
        for (int i = 0; i < o->nsets; i++) cfg_override(&c, o->sets[i]);
        cfg_validate(&c);
        if (more) more(&c, o->configs[k]);
        cfg_free(&c);
    }
    ph_stage_end();
    exit(0);
}

/* Rank 0's bytes from read(path) (NULL with errno set: a usage error on every rank) reach every
 * rank; *len is their number. */
static char *read_bcast(const char *path, char *(*read)(const char *path, size_t *len), size_t *size)
{
    long long len = -1;
    char *bytes = NULL;
    char why[256] = "";
    if (g_rank == 0) {
        size_t n = 0;
        bytes = read(path, &n);
        if (bytes)
            len = (long long)n;
        else
            snprintf(why, sizeof why, "%s", strerror(errno));
    }
    PH_CHECK_MPI(MPI_Bcast(&len, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD), "sharing the config",
                 "check the MPI installation");
    if (len < 0) {
        PH_CHECK_MPI(MPI_Bcast(why, sizeof why, MPI_CHAR, 0, MPI_COMM_WORLD), "sharing an error",
                     "check the MPI installation");
        ph_usage_error("cannot read config %s: %s (check the path)", path, why);
    }
    if (g_rank != 0) {
        bytes = malloc((size_t)len + 1);
        PH_CHECK_ALLOC(bytes, "receiving the config");
    }
    PH_CHECK_MPI(MPI_Bcast(bytes, (int)len + 1, MPI_CHAR, 0, MPI_COMM_WORLD), "sharing the config",
                 "check the MPI installation");
    *size = (size_t)len;
    return bytes;
}

static char *read_text(const char *path, size_t *len)
{
    char *text = cfg_read_file(path);
    if (text) *len = strlen(text);
    return text;
}

/* cfg_read_files with one more byte, so that every rank receives len + 1 bytes alike. */
static char *read_files(const char *path, size_t *len)
{
    char *files = cfg_read_files(path, len);
    if (!files) return NULL;
    char *grown = realloc(files, *len + 1);
    PH_CHECK_ALLOC(grown, "reading the config files");
    grown[*len] = 0;
    return grown;
}

char *ph_config_read_bcast(const char *path)
{
    size_t len;
    return read_bcast(path, read_text, &len);
}

void ph_config_load(cfg *c, const char *path)
{
    size_t len;
    char *files = read_bcast(path, read_files, &len);
    cfg_parse_files(c, files, len);
    free(files);
}

void ph_usage_check_bcast(const char *msg_on_rank0)
{
    char msg[1024] = "";
    if (g_rank == 0 && msg_on_rank0) snprintf(msg, sizeof msg, "%s", msg_on_rank0);
    PH_CHECK_MPI(MPI_Bcast(msg, sizeof msg, MPI_CHAR, 0, MPI_COMM_WORLD), "sharing a check",
                 "check the MPI installation");
    if (msg[0]) ph_usage_error("%s", msg);
}

/* An exclusive lock on path: the descriptor, -1 when another process holds it, -2 (errno
 * set) when the file cannot be made.  The lock must be on the file the path names now: a
 * run ending between our open and flock may have removed it, and a third run would then
 * lock a new file at that path while we lock the removed one. */
static int lock_file(const char *path)
{
    for (;;) {
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) return -2;
        if (flock(fd, LOCK_EX | LOCK_NB)) {
            close(fd);
            return -1;
        }
        struct stat a, b;
        if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) return fd;
        close(fd); /* removed or replaced meanwhile: try the file there now */
    }
}

void ph_out_dir_lock(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/.%s.lock", dir, ph_program_name());
    /* taking a folder again is a no-op (a second flock from this process on a new descriptor
     * would refuse itself) */
    for (int i = 0; i < nheld; i++)
        if (!strcmp(held[i], path)) return;
    char msg[1024] = "";
    if (g_rank == 0) {
        int fd = lock_file(path);
        if (fd == -2) {
            snprintf(msg, sizeof msg, "cannot create the lock %s: %s (choose a writable --out)", path, strerror(errno));
        } else if (fd == -1) {
            char holder[64] = "";
            int rd = open(path, O_RDONLY | O_CLOEXEC);
            ssize_t got = rd >= 0 ? pread(rd, holder, sizeof holder - 1, 0) : -1;
            if (rd >= 0) close(rd);
            holder[got > 0 ? got : 0] = 0;
            holder[strcspn(holder, "\n")] = 0;
            snprintf(msg, sizeof msg, "another %s is writing into %s (%s holds %s); wait for it to end or choose "
                     "another --out", ph_program_name(), dir, holder[0] ? holder : "a process", path);
        } else {
            char me[64];
            int n = snprintf(me, sizeof me, "pid %ld\n", (long)getpid());
            if (ftruncate(fd, 0) || pwrite(fd, me, (size_t)n, 0) != n) { /* the pid is only for the message */
            }
            /* fd stays open: the lock lasts as long as the process */
        }
    }
    if (nheld < HELD_MAX) snprintf(held[nheld++], sizeof held[0], "%s", path);
    ph_usage_check_bcast(msg);
}

const char *ph_machine(void)
{
    static char text[320];
    if (text[0]) return text;
    /* A virtual machine may name only the vendor ("AMD EPYC"), so family and
     * model numbers come with the name. */
    char model[256] = "unknown processor", family[32] = "?", number[32] = "?", line[512];
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && fgets(line, sizeof line, f)) {
        if (line[0] == '\n') break; /* the first processor's block ends */
        const char *colon = strchr(line, ':');
        if (!colon) continue;
        const char *v = colon + 1 + (colon[1] == ' ');
        if (!strncmp(line, "model name", 10)) snprintf(model, sizeof model, "%s", v);
        else if (!strncmp(line, "cpu family", 10)) snprintf(family, sizeof family, "%s", v);
        else if (!strncmp(line, "model\t", 6) || !strncmp(line, "model ", 6)) snprintf(number, sizeof number, "%s", v);
    }
    if (f) fclose(f);
    model[strcspn(model, "\n")] = 0, family[strcspn(family, "\n")] = 0, number[strcspn(number, "\n")] = 0;
    snprintf(text, sizeof text, "%s (family %s model %s, %ld CPUs)", model, family, number,
             sysconf(_SC_NPROCESSORS_ONLN));
    return text;
}
