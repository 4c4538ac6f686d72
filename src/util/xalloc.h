/*
 * xalloc: allocation that never returns NULL.
 *
 * Running out of memory is not an error we can report usefully, so these
 * abort with a message instead. Nobody checks their result.
 */
#ifndef UTIL_XALLOC_H
#define UTIL_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Multiplies a by b, aborting on overflow. */
size_t st_mult(size_t a, size_t b);

/* Frees a pointer held in a struct field and clears the field. */
#define FREE_AND_NULL(p)                                                       \
	do {                                                                   \
		free(p);                                                       \
		(p) = NULL;                                                    \
	} while (0)

/* Grows an array so that it holds at least nr elements (git's ALLOC_GROW). */
#define ALLOC_GROW(arr, nr, alloc)                                             \
	do {                                                                   \
		if ((size_t)(nr) > (size_t)(alloc)) {                          \
			size_t new_alloc_ = (size_t)(alloc) * 3 / 2 + 16;      \
			if (new_alloc_ < (size_t)(nr))                         \
				new_alloc_ = (size_t)(nr);                     \
			(arr) = xrealloc((arr), st_mult(sizeof(*(arr)),        \
						       new_alloc_));           \
			(alloc) = new_alloc_;                                  \
		}                                                              \
	} while (0)

#endif
