#ifndef APRKIT_CLIBPQ_SHIM_H
#define APRKIT_CLIBPQ_SHIM_H
#include <stdio.h>
#include <libpq-fe.h>

/* PQconnectdbParams (expand_dbname on) with whatever libpq prints on stderr
 * during the call written to `sink` instead: a server notice, the FATAL of a
 * session ended just as it started (read with ReadyForQuery, in the idle
 * state, so libpq hands it to the default notice processor), a warning about
 * a password file. libpq creates the connection inside the call, so no
 * notice processor of ours can be installed before the handshake. glibc's
 * stderr is an assignable variable (the tools are single-threaded while they
 * connect); elsewhere the output is left alone. */
static inline PGconn *aprkit_connectdb_params(const char *const *keywords, const char *const *values, FILE *sink) {
#ifdef __GLIBC__
    FILE *saved = stderr;
    if (sink != NULL) stderr = sink;
    PGconn *conn = PQconnectdbParams(keywords, values, 1);
    stderr = saved;
    return conn;
#else
    (void)sink;
    return PQconnectdbParams(keywords, values, 1);
#endif
}

#endif
