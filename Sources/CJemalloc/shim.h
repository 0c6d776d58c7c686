// jemalloc replaces malloc/free for the whole `sluice` process by being linked into it
// (Debian's build exports the unprefixed names). Only its control entry point is
// declared here: including <jemalloc/jemalloc.h> would redeclare malloc beside Glibc's.
#include <stddef.h>

int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen);
