#ifndef APRKIT_CLIBPQ_SHIM_H
#define APRKIT_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
