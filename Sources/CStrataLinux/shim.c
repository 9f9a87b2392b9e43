// The target's calls are inline in its header; SwiftPM needs one source file.
#include "CStrataLinux.h"
