/* Shared by the fuzz targets: a failed property aborts with a message,
 * so libFuzzer keeps the input as a crash. */
#ifndef MCD_FUZZ_COMMON_H
#define MCD_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>

#define FZ_CHECK(cond, ...) \
	do { \
		if(!(cond)) { \
			fprintf(stderr, "property failed at %s:%d: %s: ", __FILE__, \
					__LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			abort(); \
		} \
	} while(0)

#endif
