#ifndef HOURGLASS_CLIBPQ_SHIM_H
#define HOURGLASS_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
