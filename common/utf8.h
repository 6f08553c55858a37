/*
 * UTF-8 validation shared by every parser and renderer that counts or
 * checks characters (the command splitter, Block Kit text, the TOML parser).
 */
#ifndef INCIDENTD_UTF8_H
#define INCIDENTD_UTF8_H

#include <stddef.h>

/*
 * Length (1..4) of the valid UTF-8 sequence at s, n bytes available (n >= 1),
 * or 0 when it is not valid: a stray continuation byte, a sequence cut short,
 * an overlong form, a surrogate or anything past U+10FFFF.
 */
size_t utf8_seq_len(const unsigned char *s, size_t n);

#endif
