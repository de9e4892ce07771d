/* fsutil.h: output paths, directories and atomic publishing (NAME.partial -> NAME). */
#ifndef PHASOR_FSUTIL_H
#define PHASOR_FSUTIL_H

#include <stddef.h>

/* mkdir -p; returns 0 or -1 with errno. */
int ph_mkdir_p(const char *dir);
/* 1 if path exists. */
int ph_exists(const char *path);
/* "NAME.partial" for NAME. */
void ph_partial_path(const char *final, char *out, size_t n);
/* fsync the file, rename partial -> final, fsync the directory; fatal on error. */
void ph_publish(const char *partial, const char *final);
/* Writes a whole small file atomically (partial + publish); fatal on error. */
void ph_write_file_atomic(const char *path, const void *data, size_t len);
/* Up to 8 text files as one output set: every NAME.partial is written before
 * any is published, so a failure (disk full, an unwritable name) publishes
 * none of them. */
void ph_write_files_atomic(int n, const char *const *paths, const char *const *texts);
/* Directory part of path ("." if none). */
void ph_dirname(const char *path, char *out, size_t n);

#endif
