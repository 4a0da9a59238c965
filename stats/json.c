/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The JSON writer's slow paths (dpp_json.h): growing the buffer, escaped
 * strings, doubles.
 */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "dpp_json.h"

void dpp_json_init(struct dpp_json *j, char *buf, size_t size)
{
	*j = (struct dpp_json){.p = buf, .end = buf + size, .buf = buf, .cap = size};
}

int dpp_json_init_growable(struct dpp_json *j, size_t initial, size_t limit)
{
	char *buf;

	if (initial == 0)
		initial = 64;
	if (limit < initial)
		limit = initial;
	buf = malloc(initial);

	if (buf == NULL)
		return -ENOMEM;
	dpp_json_init(j, buf, initial);
	j->limit = limit;
	j->allocated = true;
	return 0;
}

void dpp_json_free(struct dpp_json *j)
{
	if (j->allocated)
		free(j->buf);
	*j = (struct dpp_json){0};
}

void dpp_json_reset(struct dpp_json *j)
{
	j->p = j->buf;
	j->end = j->buf + j->cap;
	j->overflow = false;
	j->comma = false;
}

bool dpp_json_grow(struct dpp_json *j, size_t n)
{
	size_t used = dpp_json_len(j), cap = j->cap;
	char *buf;

	if (j->overflow)
		return false;
	if (j->limit > j->cap && n <= j->limit - used) {
		while (cap - used < n)
			cap = cap > j->limit / 2 ? j->limit : cap * 2;
		buf = realloc(j->buf, cap);
		if (buf != NULL) {
			j->buf = buf;
			j->cap = cap;
			j->p = buf + used;
			j->end = buf + cap;
			return true;
		}
	}
	/* Nothing more goes in: the fast path's room check fails from now on. */
	j->overflow = true;
	j->end = j->p;
	return false;
}

/* Bytes s takes escaped, quotes excluded. */
static size_t escaped_len(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		n += c == '"' || c == '\\' ? 2 : c < 0x20 ? 6 : 1;
	}
	return n;
}

/* "s" escaped, with the comma before it if one is due; room checked for all of it. */
static void put_quoted(struct dpp_json *j, const char *s, const char *after, size_t after_len)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = escaped_len(s);
	char *d;

	if (!dpp_json_room(j, (j->comma ? 1 : 0) + n + 2 + after_len))
		return;
	d = j->p;
	if (j->comma)
		*d++ = ',';
	*d++ = '"';
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			*d++ = '\\';
			*d++ = (char)c;
		} else if (c < 0x20) {
			memcpy(d, "\\u00", 4);
			d[4] = hex[c >> 4];
			d[5] = hex[c & 15];
			d += 6;
		} else {
			*d++ = (char)c;
		}
	}
	*d++ = '"';
	memcpy(d, after, after_len);
	j->p = d + after_len;
}

void dpp_json_key(struct dpp_json *j, const char *key)
{
	put_quoted(j, key, ":", 1);
	j->comma = false;
}

void dpp_json_str_escaped(struct dpp_json *j, const char *s)
{
	put_quoted(j, s, "", 0);
	j->comma = true;
}

/* printf's rendering of a finite double; null otherwise. */
static void put_double(struct dpp_json *j, double v, const char *fmt, int precision)
{
	/* %.17f of the largest double: 309 digits, a sign, a point, 17 decimals. */
	char tmp[352];
	int n;

	if (!isfinite(v)) {
		dpp_json_null(j);
		return;
	}
	n = snprintf(tmp, sizeof(tmp), fmt, precision, v);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		/* Cannot happen with the precisions allowed; never write a cut number. */
		j->overflow = true;
		j->end = j->p;
		return;
	}
	dpp_json_sep_copy(j, tmp, (size_t)n);
	j->comma = true;
}

void dpp_json_double(struct dpp_json *j, double v, int precision)
{
	put_double(j, v, "%.*f", precision < 0 ? 0 : precision > 17 ? 17 : precision);
}

void dpp_json_double_g(struct dpp_json *j, double v, int precision)
{
	put_double(j, v, "%.*g", precision < 1 ? 1 : precision > 17 ? 17 : precision);
}
