#include <openssl/evp.h>

#include "mcd_md5.h"

int mcd_md5_hex(const void *data, size_t len, char out[MCD_MD5_HEX_LEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	unsigned int i;

	if(!EVP_Digest(data, len, md, &md_len, EVP_md5(), NULL) || md_len != 16)
		return -1;
	for(i = 0; i < md_len; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0x0f];
	}
	return 0;
}
