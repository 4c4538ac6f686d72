/*
 * sha256: SHA-256 over OpenSSL's EVP interface, as lowercase hex.
 */
#ifndef UTIL_SHA256_H
#define UTIL_SHA256_H

#include <stddef.h>

#define SHA256_HEX_LEN 64

/* Writes the 64 hex digits and a NUL to out. */
void sha256_hex(char out[SHA256_HEX_LEN + 1], const void *data, size_t len);

#endif
