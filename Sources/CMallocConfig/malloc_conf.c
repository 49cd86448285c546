// jemalloc reads this symbol at start-up (the MALLOC_CONF environment variable still overrides it).
// A background thread returns freed pages after half a second instead of on later allocations, which keeps the
// resident size near what is in use after bursts of ingest (benchmarks/README.md, UDP flood). Half a second rather
// than two: with 500-span Thrift requests at ~125k spans/s the peak fell from 510–574 to 484–496 MiB, at the same
// CPU per span; returning pages at once (0) cost 30% more CPU per span.
const char *malloc_conf = "background_thread:true,dirty_decay_ms:500,muzzy_decay_ms:0";
