/* fsutil.c: directories and atomic publishing. */
#include "fsutil.h"

#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ph_mkdir_p(const char *dir)
{
    char buf[4096];
    if (!dir[0]) return errno = ENOENT, -1;
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0777) && errno != EEXIST) return -1;
            *p = '/';
        }
    if (mkdir(buf, 0777) && errno != EEXIST) return -1;
    struct stat st;
    if (stat(buf, &st)) return -1;
    if (!S_ISDIR(st.st_mode)) return errno = ENOTDIR, -1;
    return 0;
}

int ph_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

void ph_partial_path(const char *final, char *out, size_t n)
{
    snprintf(out, n, "%s.partial", final);
}

void ph_dirname(const char *path, char *out, size_t n)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, n, ".");
    else if (slash == path)
        snprintf(out, n, "/");
    else
        snprintf(out, n, "%.*s", (int)(slash - path), path);
}

static void fsync_path(const char *path, int dir)
{
    int fd = open(path, dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    PH_CHECK_LIBC(fd >= 0, "opening an output to flush it", "check the output path");
    /* Some file systems refuse fsync on directories; that only weakens durability. */
    if (fsync(fd) && !dir) {
        int e = errno;
        close(fd);
        errno = e;
        PH_CHECK_LIBC(0, "flushing an output to disk", "check free space and the file system");
    }
    close(fd);
}

void ph_publish(const char *partial, const char *final)
{
    fsync_path(partial, 0);
    PH_CHECK_LIBC(rename(partial, final) == 0, "renaming the finished output into place",
                  "check that the output directory is writable and on one file system");
    ph_partial_forget(partial);
    char dir[4096];
    ph_dirname(final, dir, sizeof dir);
    fsync_path(dir, 1);
}

/* NAME.partial written whole; its path in partial. */
static void partial_write(const char *path, const void *data, size_t len, char *partial, size_t n)
{
    ph_partial_path(path, partial, n);
    ph_partial_register(partial);
    FILE *f = fopen(partial, "wb");
    PH_CHECK_LIBC(f != NULL, "creating an output file", "check that the directory is writable");
    size_t w = fwrite(data, 1, len, f);
    int bad = (w != len) | (fclose(f) != 0);
    PH_CHECK_LIBC(!bad, "writing an output file", "check free space");
}

void ph_write_file_atomic(const char *path, const void *data, size_t len)
{
    char partial[4096];
    partial_write(path, data, len, partial, sizeof partial);
    ph_publish(partial, path);
}

void ph_write_files_atomic(int n, const char *const *paths, const char *const *texts)
{
    char partial[8][4096];
    if (n > 8) PH_FAIL("writing output files", "more than 8 at once", "this is a bug");
    for (int i = 0; i < n; i++) partial_write(paths[i], texts[i], strlen(texts[i]), partial[i], sizeof partial[i]);
    for (int i = 0; i < n; i++) ph_publish(partial[i], paths[i]);
}
