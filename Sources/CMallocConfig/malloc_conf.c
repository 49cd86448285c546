// jemalloc reads this symbol at start-up (the MALLOC_CONF environment variable still overrides it).
// A background thread returns freed pages after two seconds instead of on later allocations, which keeps the
// resident size near what is in use after bursts of ingest (benchmarks/README.md, UDP flood).
const char *malloc_conf = "background_thread:true,dirty_decay_ms:2000,muzzy_decay_ms:0";
