#ifndef APRKIT_CCRYPTO_SHIM_H
#define APRKIT_CCRYPTO_SHIM_H
/* libcrypto's EVP digest interface. Everything SHA256.swift calls is a plain
 * function (no macros, no variadics), so nothing needs wrapping here. */
#include <openssl/evp.h>
#endif
