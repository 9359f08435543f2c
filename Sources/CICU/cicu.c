#include "cicu.h"
#include <stdlib.h>
#include <string.h>
#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/uversion.h>

void cicu_version(char *buffer) {
    UVersionInfo info;
    u_getVersion(info);
    u_versionToString(info, buffer);
}

const char *cicu_error_name(int32_t status) { return u_errorName((UErrorCode)status); }

static const UNormalizer2 *nfc(UErrorCode *status) { return unorm2_getNFCInstance(status); }

int32_t cicu_normalize_nfc(const uint16_t *source, int32_t length,
                           uint16_t *destination, int32_t capacity, int32_t *status) {
    UErrorCode code = (UErrorCode)*status;
    const UNormalizer2 *normalizer = nfc(&code);
    int32_t written = 0;
    if (U_SUCCESS(code)) {
        written = unorm2_normalize(normalizer, (const UChar *)source, length,
                                   (UChar *)destination, capacity, &code);
    }
    *status = code;
    return written;
}

int32_t cicu_is_nfc(const uint16_t *source, int32_t length, int32_t *status) {
    UErrorCode code = (UErrorCode)*status;
    const UNormalizer2 *normalizer = nfc(&code);
    int32_t result = 0;
    if (U_SUCCESS(code)) {
        result = unorm2_quickCheck(normalizer, (const UChar *)source, length, &code) == UNORM_YES;
    }
    *status = code;
    return result;
}

int32_t cicu_fold_case(const uint16_t *source, int32_t length,
                       uint16_t *destination, int32_t capacity, int32_t *status) {
    UErrorCode code = (UErrorCode)*status;
    int32_t written = u_strFoldCase((UChar *)destination, capacity, (const UChar *)source, length,
                                    U_FOLD_CASE_DEFAULT, &code);
    *status = code;
    return written;
}

struct cicu_breaker { UBreakIterator *iterator; };

cicu_breaker *cicu_breaker_open(int32_t kind, int32_t *status) {
    UErrorCode code = (UErrorCode)*status;
    UBreakIteratorType type = kind == CICU_BREAK_WORD ? UBRK_WORD : UBRK_CHARACTER;
    UBreakIterator *iterator = ubrk_open(type, "", NULL, 0, &code);
    *status = code;
    if (U_FAILURE(code)) return NULL;
    cicu_breaker *breaker = (cicu_breaker *)malloc(sizeof *breaker);
    if (breaker == NULL) {
        ubrk_close(iterator);
        *status = U_MEMORY_ALLOCATION_ERROR;
        return NULL;
    }
    breaker->iterator = iterator;
    return breaker;
}

void cicu_breaker_set_text(cicu_breaker *breaker, const uint16_t *text, int32_t length,
                           int32_t *status) {
    UErrorCode code = (UErrorCode)*status;
    ubrk_setText(breaker->iterator, (const UChar *)text, length, &code);
    *status = code;
}

int32_t cicu_breaker_next(cicu_breaker *breaker) {
    int32_t next = ubrk_next(breaker->iterator);
    return next == UBRK_DONE ? -1 : next;
}

int32_t cicu_breaker_rule_status(cicu_breaker *breaker) {
    return ubrk_getRuleStatus(breaker->iterator);
}

void cicu_breaker_close(cicu_breaker *breaker) {
    if (breaker == NULL) return;
    ubrk_close(breaker->iterator);
    free(breaker);
}

int32_t cicu_char_type(int32_t codePoint) { return (int32_t)u_charType((UChar32)codePoint); }

int32_t cicu_is_white_space(int32_t codePoint) { return u_isUWhiteSpace((UChar32)codePoint); }
