/* version.h: software version; the build passes PHASOR_GIT_COMMIT. */
#ifndef PHASOR_VERSION_H
#define PHASOR_VERSION_H

#define PHASOR_VERSION "0.1.0"
#ifndef PHASOR_GIT_COMMIT
#define PHASOR_GIT_COMMIT "unknown"
#endif
#define PHASOR_SCHEMA_VERSION 1

#endif
