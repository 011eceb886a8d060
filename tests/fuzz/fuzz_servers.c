/*
 * Copyright (C) 2026 Seed 29351211 maintainers
 *
 * This file is part of Kamailio, a free SIP server.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Kamailio is free software; you can redistribute it and/or modify
 * it under the terms of the GNU General Public License as published by
 * the Free Software Foundation; either version 2 of the License, or
 * (at your option) any later version.
 *
 * Kamailio is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
 * GNU General Public License for more details.
 */
/*
 * The servers parameter parser: any text gives either a list whose every
 * entry is well formed, or false with a NUL-terminated message that fits
 * the caller's buffer; the config check agrees with the parser.
 * Byte 0 of the input chooses the error buffer size (0..255).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mcd_config.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mcd_server_list *list;
	mcd_config cfg;
	char *text, *err, cerr[MCD_ERRBUF_SIZE];
	size_t errlen, i;
	bool ok;

	if(size < 1)
		return 0;
	errlen = data[0];
	data++;
	size--;
	/* the parameter is a C string: stop at the first NUL as Kamailio would */
	text = malloc(size + 1);
	err = malloc(errlen ? errlen : 1);
	list = malloc(sizeof(*list));
	FZ_CHECK(text && err && list, "no memory");
	memcpy(text, data, size);
	text[size] = '\0';
	memset(err, 'E', errlen ? errlen : 1);

	ok = mcd_servers_parse(text, list, err, errlen);
	if(ok) {
		FZ_CHECK(list->count >= 1 && list->count <= MCD_MAX_SERVERS,
				"%zu servers", list->count);
		for(i = 0; i < list->count; i++) {
			const mcd_server_addr *a = &list->addr[i];
			size_t hl = strnlen(a->host, MCD_HOST_MAX);
			FZ_CHECK(hl > 0 && hl < MCD_HOST_MAX, "host %zu: length %zu", i, hl);
			FZ_CHECK(a->weight >= 1 && a->weight <= 1000000, "weight %u",
					a->weight);
			if(a->is_unix)
				FZ_CHECK(a->port == 0 && a->host[0] == '/', "unix entry %zu", i);
			else
				FZ_CHECK(a->port >= 1 && a->port <= 65535
								&& !strchr(a->host, ' ') && !strchr(a->host, '\t'),
						"tcp entry %zu: port %u host '%s'", i, a->port, a->host);
			if(list->addr[i].weight != 1)
				FZ_CHECK(list->weighted, "weighted flag not set");
		}
	} else if(errlen > 0) {
		size_t el = strnlen(err, errlen);
		FZ_CHECK(el < errlen, "message not terminated in %zu bytes", errlen);
		FZ_CHECK(el > 0 || errlen == 1, "empty message");
	} else {
		FZ_CHECK(err[0] == 'E', "wrote into a zero-size message buffer");
	}
	/* a NULL message buffer must be accepted too (mod_init passes one) */
	FZ_CHECK(mcd_servers_parse(text, list, NULL, 0) == ok, "differs without err");

	mcd_config_defaults(&cfg);
	cfg.servers = text;
	cerr[0] = '\0';
	FZ_CHECK(mcd_config_check(&cfg, NULL, cerr, sizeof(cerr)) == ok,
			"config check disagrees: '%s'", cerr);
	if(!ok)
		FZ_CHECK(strncmp(cerr, "servers: ", 9) == 0, "message '%s'", cerr);

	free(list);
	free(err);
	free(text);
	return 0;
}
