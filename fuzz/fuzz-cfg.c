/* fuzz-cfg - roost.conf as every daemon and roostctl read it
 * (lib/daemon/cfg.c), against the real key table with its checks
 * (listen addresses, CIDR lists, TLS settings, sizes, times). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cfg.h"
#include "fuzzbuf.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct str err = STR_INIT, out = STR_INIT;

	if (fd < 0) {
		if ((fd = memfd_create("fuzz-cfg", 0)) < 0)
			abort();
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 ||
	    pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	if (cfg_load(path, &err) == 0)
		cfg_dump(&out, true);
	cfg_reset();
	str_free(&err);
	str_free(&out);
	return 0;
}
