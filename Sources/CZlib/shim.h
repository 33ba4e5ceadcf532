#ifndef HOURGLASS_CZLIB_SHIM_H
#define HOURGLASS_CZLIB_SHIM_H
#include <zlib.h>
#endif
