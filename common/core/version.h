/* version.h: software version and the git commit of the build.
 * ph_git_commit is defined in a file the Makefile regenerates whenever HEAD
 * (or the dirty state) changes, so no stale commit is ever reported. */
#ifndef PHASOR_VERSION_H
#define PHASOR_VERSION_H

#define PHASOR_VERSION "0.1.0"
#define PHASOR_SCHEMA_VERSION 1

extern const char ph_git_commit[];
#define PHASOR_GIT_COMMIT ph_git_commit

#endif
