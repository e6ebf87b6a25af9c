/* Locked, wiped memory for secrets.
 *
 * Each secret is its own anonymous mapping: mlock keeps it out of swap,
 * MADV_DONTDUMP out of core dumps, and munmap after explicit_bzero leaves
 * nothing behind on the heap. A small registry lets the fatal path wipe
 * whatever is still alive. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "secret.h"

/* The passphrase, the volume keys, every workload secret and the token at once. */
#define MAX_LIVE 48

static struct secret *live[MAX_LIVE];

struct secret *secret_new(size_t cap)
{
	struct secret *s;
	size_t i;

	if (cap == 0 || cap > 64 * 1024 * 1024) {
		errno = EINVAL;
		return NULL;
	}
	for (i = 0; i < MAX_LIVE && live[i]; i++)
		;
	if (i == MAX_LIVE) {
		errno = ENOSPC;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->data = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->data == MAP_FAILED) {
		free(s);
		return NULL;
	}
	/* mlock can fail under a tight RLIMIT_MEMLOCK; PID 1 has no such limit,
	 * tests may. The memory is still wiped on release. */
	(void)mlock(s->data, cap);
	(void)madvise(s->data, cap, MADV_DONTDUMP);
	s->cap = cap;
	live[i] = s;
	return s;
}

void secret_free(struct secret *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < MAX_LIVE; i++)
		if (live[i] == s)
			live[i] = NULL;
	explicit_bzero(s->data, s->cap);
	munlock(s->data, s->cap);
	munmap(s->data, s->cap);
	explicit_bzero(s, sizeof(*s));
	free(s);
}

void secret_wipe_all(void)
{
	for (size_t i = 0; i < MAX_LIVE; i++)
		if (live[i]) {
			explicit_bzero(live[i]->data, live[i]->cap);
			live[i]->len = 0;
		}
}
