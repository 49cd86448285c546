// The jemalloc options of the spoor binary are a linked symbol; nothing to import.
