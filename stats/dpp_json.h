/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef DPP_JSON_H
#define DPP_JSON_H

/**
 * @file
 * stats, the one JSON writer of the outputs: flow records, stats snapshots
 * (with their services and ring-port objects).
 *
 * Text goes into a buffer that knows where it ends: every write checks the
 * room left, and what does not fit sets a sticky overflow flag instead of
 * being written past the end, so the caller writes a whole line or none.
 * A fixed buffer (a flow record on the stack) never grows; a growable one
 * (a snapshot, whose length follows the services and queues) doubles up to
 * a limit.
 *
 * Commas are the writer's: a value or an object written after another at
 * the same level gets one, a key's value and the first member of an
 * object or array do not. The caller only says what comes next.
 *
 * The fast path (room check, keys from literals, integers) is inline here:
 * a flow record is forty-odd fields, formatted on the exporter's critical
 * path with plain integer conversions, no printf. Numbers with a fraction
 * either come from integers (dpp_json_fixed: microseconds from
 * nanoseconds, exact) or are doubles printed as printf would with the
 * precision given (dpp_json_double, dpp_json_double_g).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct dpp_json {
	char *p;	/**< Where the next byte goes. */
	char *end;	/**< One past the last byte there is room for. */
	char *buf;	/**< Start of the text. */
	size_t cap;	/**< Bytes at buf. */
	size_t limit;	/**< Growable: the most bytes it may hold; 0: a fixed buffer. */
	bool overflow;	/**< Something did not fit: the text is incomplete (sticky). */
	bool comma;	/**< A value ended here: the next value or key needs a comma. */
	bool allocated; /**< buf is the writer's (malloc'd). */
};

/** Write into buf[0..size-1]; never more. */
void dpp_json_init(struct dpp_json *j, char *buf, size_t size);

/**
 * A malloc'd buffer of initial bytes that doubles as needed up to limit
 * (limit >= initial > 0).
 * @return 0, or -ENOMEM.
 */
int dpp_json_init_growable(struct dpp_json *j, size_t initial, size_t limit);

/** Free a growable buffer (a fixed one is the caller's). */
void dpp_json_free(struct dpp_json *j);

/** Start again at the beginning of the same buffer (a grown one stays grown). */
void dpp_json_reset(struct dpp_json *j);

/** Bytes written so far. */
static inline size_t dpp_json_len(const struct dpp_json *j)
{
	return (size_t)(j->p - j->buf);
}

/**
 * Make room for n more bytes: grow a growable buffer, or set overflow.
 * Slow path of dpp_json_room(); it keeps a failed writer failed.
 * @return true when there is room.
 */
bool dpp_json_grow(struct dpp_json *j, size_t n);

/** Room for n more bytes? Sets overflow (once, for good) when there is not. */
static inline bool dpp_json_room(struct dpp_json *j, size_t n)
{
	if (__builtin_expect((size_t)(j->end - j->p) >= n, 1))
		return true;
	return dpp_json_grow(j, n);
}

/** n bytes as they are (already JSON: punctuation, a literal); no comma logic. */
static inline void dpp_json_raw(struct dpp_json *j, const char *s, size_t n)
{
	if (!dpp_json_room(j, n))
		return;
	memcpy(j->p, s, n);
	j->p += n;
}

#define DPP_JSON_RAW(j, lit) dpp_json_raw((j), (lit), sizeof(lit) - 1)

/* A comma if a value came before, then n bytes of a literal (n a constant: memcpy inlined). */
static inline void dpp_json_sep_raw(struct dpp_json *j, const char *s, size_t n)
{
	if (!dpp_json_room(j, n + j->comma))
		return;
	if (j->comma)
		*j->p++ = ',';
	memcpy(j->p, s, n);
	j->p += n;
}

/*
 * The same for a short run of variable length (digits): a byte loop, which
 * costs less than a call to memcpy for twenty bytes.
 */
static inline void dpp_json_sep_copy(struct dpp_json *j, const char *s, size_t n)
{
	char *d;

	if (!dpp_json_room(j, n + j->comma))
		return;
	d = j->p;
	if (j->comma)
		*d++ = ',';
	for (size_t i = 0; i < n; i++)
		d[i] = s[i];
	j->p = d + n;
}

/** A key that is a literal needing no escapes: "key": (and the comma before it). */
#define DPP_JSON_KEY(j, lit)                                                                       \
	do {                                                                                       \
		dpp_json_sep_raw((j), "\"" lit "\":", sizeof(lit) + 2);                            \
		(j)->comma = false;                                                                \
	} while (0)

/** Any key (escaped): "key": and the comma before it. */
void dpp_json_key(struct dpp_json *j, const char *key);

/* dpp_json_str() of a string with characters to escape (the slow path). */
void dpp_json_str_escaped(struct dpp_json *j, const char *s);

/**
 * A string value, escaped: quote and backslash with a backslash, control
 * characters as \u00XX; other bytes (UTF-8 included) as they are.
 */
static inline void dpp_json_str(struct dpp_json *j, const char *s)
{
	size_t n = strlen(s);
	char *d;

	/* Escaping only lengthens: if the plain string does not fit, nothing would. */
	if (!dpp_json_room(j, n + 2 + j->comma))
		return;
	d = j->p;
	if (j->comma)
		*d++ = ',';
	*d++ = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (__builtin_expect(c < 0x20 || c == '"' || c == '\\', 0)) {
			dpp_json_str_escaped(j, s); /* from j->p again, exactly */
			return;
		}
		d[i] = (char)c;
	}
	d[n] = '"';
	j->p = d + n + 1;
	j->comma = true;
}

/**
 * A string value that needs no escaping, copied as it is: only for text
 * that cannot hold a quote, a backslash or a control character (names
 * from the .def files, inet_ntop() output, history letters). Anything
 * else goes through dpp_json_str().
 */
static inline void dpp_json_str_plain(struct dpp_json *j, const char *s)
{
	size_t n = strlen(s);
	char *d;

	if (!dpp_json_room(j, n + 2 + j->comma))
		return;
	d = j->p;
	if (j->comma)
		*d++ = ',';
	*d++ = '"';
	memcpy(d, s, n);
	d[n] = '"';
	j->p = d + n + 1;
	j->comma = true;
}

static inline void dpp_json_obj_begin(struct dpp_json *j)
{
	dpp_json_sep_raw(j, "{", 1);
	j->comma = false;
}

static inline void dpp_json_obj_end(struct dpp_json *j)
{
	dpp_json_raw(j, "}", 1);
	j->comma = true;
}

static inline void dpp_json_arr_begin(struct dpp_json *j)
{
	dpp_json_sep_raw(j, "[", 1);
	j->comma = false;
}

static inline void dpp_json_arr_end(struct dpp_json *j)
{
	dpp_json_raw(j, "]", 1);
	j->comma = true;
}

static inline void dpp_json_null(struct dpp_json *j)
{
	dpp_json_sep_raw(j, "null", 4);
	j->comma = true;
}

static inline void dpp_json_bool(struct dpp_json *j, bool v)
{
	if (v)
		dpp_json_sep_raw(j, "true", 4);
	else
		dpp_json_sep_raw(j, "false", 5);
	j->comma = true;
}

/* Decimal digits of v, at most 20, written backwards ending at tmp_end; two at a time. */
static inline char *dpp_json_digits(char *tmp_end, uint64_t v)
{
	static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930"
				    "31323334353637383940414243444546474849505152535455565758596061"
				    "62636465666768697071727374757677787980818283848586878889909192"
				    "93949596979899";
	char *d = tmp_end;

	while (v >= 100) {
		const char *two = &pairs[2 * (v % 100)];

		v /= 100;
		d -= 2;
		d[0] = two[0];
		d[1] = two[1];
	}
	if (v >= 10) {
		d -= 2;
		d[0] = pairs[2 * v];
		d[1] = pairs[2 * v + 1];
	} else {
		*--d = (char)('0' + v);
	}
	return d;
}

/* A sign (when neg) and the digits of mag, as one value. */
static inline void dpp_json_mag(struct dpp_json *j, bool neg, uint64_t mag)
{
	char tmp[21];
	char *d = dpp_json_digits(tmp + sizeof(tmp), mag);

	if (neg)
		*--d = '-';
	dpp_json_sep_copy(j, d, (size_t)(tmp + sizeof(tmp) - d));
	j->comma = true;
}

static inline void dpp_json_u64(struct dpp_json *j, uint64_t v)
{
	dpp_json_mag(j, false, v);
}

static inline void dpp_json_i64(struct dpp_json *j, int64_t v)
{
	dpp_json_mag(j, v < 0, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
}

/* A sign (when neg), mag / 10^decimals and exactly that many decimals. */
static inline void dpp_json_fixed_mag(struct dpp_json *j, bool neg, uint64_t mag,
				      unsigned int decimals)
{
	char tmp[42];
	char *end = tmp + sizeof(tmp), *d = end;
	uint64_t whole = mag;

	if (decimals > 19)
		decimals = 19;
	for (unsigned int i = 0; i < decimals; i++) {
		*--d = (char)('0' + whole % 10);
		whole /= 10;
	}
	if (decimals > 0)
		*--d = '.';
	d = dpp_json_digits(d, whole);
	if (neg)
		*--d = '-';
	dpp_json_sep_copy(j, d, (size_t)(end - d));
	j->comma = true;
}

/* "key":v in one room check: the common member of a record. */
static inline void dpp_json_member_u64(struct dpp_json *j, const char *key, size_t key_len,
				       uint64_t v)
{
	char tmp[20];
	char *digits = dpp_json_digits(tmp + sizeof(tmp), v), *d;
	size_t n = (size_t)(tmp + sizeof(tmp) - digits);

	if (!dpp_json_room(j, j->comma + key_len + n))
		return;
	d = j->p;
	if (j->comma)
		*d++ = ',';
	memcpy(d, key, key_len);
	d += key_len;
	for (size_t i = 0; i < n; i++)
		d[i] = digits[i];
	j->p = d + n;
	j->comma = true;
}

/** A member whose key is a literal needing no escapes, and an unsigned value. */
#define DPP_JSON_U64(j, lit, v) dpp_json_member_u64((j), "\"" lit "\":", sizeof(lit) + 2, (v))

/**
 * v / 10^decimals with exactly that many decimals (at most 19), exact,
 * from integers only: dpp_json_ufixed(j, 1500, 3) is 1.500.
 */
static inline void dpp_json_ufixed(struct dpp_json *j, uint64_t v, unsigned int decimals)
{
	dpp_json_fixed_mag(j, false, v, decimals);
}

/** The same, signed: dpp_json_fixed(j, -1500, 3) is -1.500. */
static inline void dpp_json_fixed(struct dpp_json *j, int64_t v, unsigned int decimals)
{
	dpp_json_fixed_mag(j, v < 0, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, decimals);
}

/**
 * A double as printf's "%.*f" with that precision (0-17); null when it is
 * not finite (JSON has no NaN or infinity).
 */
void dpp_json_double(struct dpp_json *j, double v, int precision);

/** A double as printf's "%.*g" (precision 1-17); null when not finite. */
void dpp_json_double_g(struct dpp_json *j, double v, int precision);

#endif /* DPP_JSON_H */
