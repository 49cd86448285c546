#ifndef SPOOR_CPREFETCH_H
#define SPOOR_CPREFETCH_H

/// Asks the CPU to start loading the cache line holding `address` (a hint: never faults, even on a bad address).
/// Lookups in tables too large for the cache issue it a few lookups ahead, so their loads overlap.
static inline void spoor_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

#endif
