#ifndef CICU_H
#define CICU_H
// A thin shim over the system ICU that exposes plain C types only, so that Swift modules
// importing Foundation (which carries its own ICU) never see the system's ICU headers.
// Strings are UTF-16 code units; `status` receives an ICU UErrorCode (0 = success,
// negative = warning, positive = failure).
#include <stdint.h>

/// ICU's version, "72.1" for example, written into `buffer` (at least 32 bytes).
void cicu_version(char *buffer);

/// The symbolic name of an ICU error code ("U_INVALID_CHAR_FOUND", ...).
const char *cicu_error_name(int32_t status);

/// NFC-normalises `source` into `destination`. Returns the length of the result, which
/// may exceed `capacity` (then `status` is U_BUFFER_OVERFLOW_ERROR and nothing useful
/// was written).
int32_t cicu_normalize_nfc(const uint16_t *source, int32_t length,
                           uint16_t *destination, int32_t capacity, int32_t *status);

/// 1 when `source` is certainly NFC already (the quick check), so normalising may be skipped.
int32_t cicu_is_nfc(const uint16_t *source, int32_t length, int32_t *status);

/// Full Unicode case folding (the default mapping), with the same contract as above.
int32_t cicu_fold_case(const uint16_t *source, int32_t length,
                       uint16_t *destination, int32_t capacity, int32_t *status);

/// An ICU break iterator; opaque to Swift.
typedef struct cicu_breaker cicu_breaker;

enum { CICU_BREAK_CHARACTER = 0, CICU_BREAK_WORD = 1 };

/// Opens a break iterator of `kind` for the root locale (""), or NULL with `status` set.
cicu_breaker *cicu_breaker_open(int32_t kind, int32_t *status);

/// Points the iterator at `text`, which must stay alive until the next call or close.
void cicu_breaker_set_text(cicu_breaker *breaker, const uint16_t *text, int32_t length,
                           int32_t *status);

/// The next boundary offset in UTF-16 units, or -1 at the end of the text.
int32_t cicu_breaker_next(cicu_breaker *breaker);

/// The rule status of the boundary just returned (word mode: 0-99 none/spaces/punctuation,
/// 100-199 numbers, 200-299 letters, 300-399 kana, 400-499 ideographs).
int32_t cicu_breaker_rule_status(cicu_breaker *breaker);

void cicu_breaker_close(cicu_breaker *breaker);

/// Unicode general category of a code point (ICU's UCharCategory value).
int32_t cicu_char_type(int32_t codePoint);

/// 1 when the code point has the White_Space property.
int32_t cicu_is_white_space(int32_t codePoint);

#endif
