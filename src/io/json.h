/* json.h — a strict, allocation-free JSON tokenizer for file headers (RFC 8259).
 *
 * There is no document tree and no recursion: a reader walks the grammar it expects with these
 * calls, so hostile nesting cannot exhaust the stack, and anything outside the expected grammar is
 * an error at a known byte. The text must already be valid UTF-8 (einc__utf8_valid); strings are
 * returned as raw spans and decoded on demand into a buffer the caller sizes.
 *
 * Every function returns false on failure after recording the first error (static text and
 * byte position) in the cursor; later failures keep the first.
 */
#ifndef EINC_IO_JSON_H
#define EINC_IO_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct einc__json {
    const char *begin, *p, *end;
    const char *err; /* first error (static text), NULL if none */
    size_t err_pos;  /* byte offset of that error from `begin`   */
} einc__json;

/* A JSON string as found in the text: the bytes between the quotes, still escaped. */
typedef struct einc__json_str {
    const char *raw;
    size_t raw_len;
    size_t len; /* decoded length in bytes (UTF-8); may include NUL bytes from \u0000 */
} einc__json_str;

/* True if s[0..len) is valid UTF-8 (no overlong forms, surrogates or code points above
 * U+10FFFF); otherwise *bad_pos receives the offset of the first invalid sequence. */
bool einc__utf8_valid(const char *s, size_t len, size_t *bad_pos);

void einc__json_init(einc__json *j, const char *text, size_t len);
/* Records an error at the cursor (first one wins); returns false. */
bool einc__json_fail(einc__json *j, const char *what);
/* Skips whitespace; true if the next byte is `c` (not consumed). */
bool einc__json_peek(einc__json *j, char c);
/* Skips whitespace; consumes `c` and returns true if it is next. Records nothing. */
bool einc__json_accept(einc__json *j, char c);
/* Like accept, but a missing `c` is an error with the message `what`. */
bool einc__json_expect(einc__json *j, char c, const char *what);
/* Parses a string: escapes and (paired) surrogates checked, control characters rejected. */
bool einc__json_string(einc__json *j, einc__json_str *s);
/* Decodes a string parsed by einc__json_string into out[0..s->len) and writes out[s->len] = 0. */
void einc__json_decode(const einc__json_str *s, char *out);
/* True if the decoded string equals the NUL-terminated `word` (no allocation). */
bool einc__json_str_eq(const einc__json_str *s, const char *word);
/* Parses a number that must be a non-negative integer below 2^64 (no sign, fraction or
 * exponent); a well-formed JSON number of another kind is an error naming what it is. */
bool einc__json_uint(einc__json *j, uint64_t *out);
/* Skips whitespace; true if the text is used up. */
bool einc__json_at_end(einc__json *j);
/* Byte offset of the cursor. */
size_t einc__json_pos(const einc__json *j);

/* Appends the JSON text of the UTF-8 string s[0..len) (quotes included) to out, escaping as
 * serde_json does: \" \\ \b \f \n \r \t, other control characters as \u00XX, nothing else.
 * With out == NULL only counts. Returns the number of bytes. */
size_t einc__json_write_string(char *out, const char *s, size_t len);

#endif /* EINC_IO_JSON_H */
