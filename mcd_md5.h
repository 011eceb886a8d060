#ifndef MCD_MD5_H
#define MCD_MD5_H

#include <stddef.h>

#define MCD_MD5_HEX_LEN 32

/* Writes the 32 lower-case hex digits of MD5(data) to out (no NUL).
 * Returns 0, or -1 when OpenSSL fails. */
int mcd_md5_hex(const void *data, size_t len, char out[MCD_MD5_HEX_LEN]);

#endif
