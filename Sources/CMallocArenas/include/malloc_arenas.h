#ifndef GLOSS_MALLOC_ARENAS_H
#define GLOSS_MALLOC_ARENAS_H

/// How many glibc malloc arenas the `gloss` and `gloss-server` processes use: set when the
/// executable loads (see malloc_arenas.c); 0 where the C library is not glibc.
int gloss_malloc_arena_limit(void);

#endif
