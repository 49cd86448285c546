// The target's one function is `static inline` in include/CPrefetch.h; SwiftPM needs a source file for a C target.
#include "CPrefetch.h"
