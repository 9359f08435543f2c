#ifndef CSENTENCEPIECE_H
#define CSENTENCEPIECE_H
// A thin plain-C face of SentencePiece (C++), as Sources/CICU is of ICU: Swift sees only
// C types. Text is UTF-8. A processor keeps the buffer of its last encoding: use one per
// thread.
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A loaded SentencePiece model; opaque to Swift.
typedef struct csp_processor csp_processor;

/// Loads a model from its serialized form (the bytes of a `.model` file). On failure
/// returns NULL and writes SentencePiece's message (its status, or what its parts threw),
/// NUL-terminated, into `error`.
csp_processor *csp_load(const char *serialized, size_t length, char *error, size_t error_capacity);

void csp_free(csp_processor *processor);

/// Pieces in the model, ids 0 to count − 1.
int32_t csp_piece_count(const csp_processor *processor);

/// The piece with `id`, UTF-8 and not NUL-terminated (`*length` bytes); valid while the
/// processor lives.
const char *csp_piece(const csp_processor *processor, int32_t id, size_t *length);

/// 1 when `id` is a byte-fallback piece (`<0x41>`), 0 otherwise.
int32_t csp_is_byte(const csp_processor *processor, int32_t id);

/// 1 when `id` is a control piece (`<eos>`) or the unknown piece.
int32_t csp_is_special(const csp_processor *processor, int32_t id);

/// Encodes `text` (one line, no line end) into piece ids with the one-best segmentation.
/// Returns the number of ids and points `*ids` at them (valid until the next call), or −1
/// when SentencePiece fails.
int64_t csp_encode(csp_processor *processor, const char *text, size_t length, const int32_t **ids);

/// Decodes `count` ids into UTF-8 text, which `*text` points at (valid until the next
/// call); returns its length in bytes, or −1 when an id is out of range.
int64_t csp_decode(csp_processor *processor, const int32_t *ids, size_t count, const char **text);

/// The next training sentence: sets `*text` and `*length` and returns 1, or returns 0
/// at the end.
typedef int32_t (*csp_sentence_source)(void *context, const char **text, size_t *length);

/// Trains a model on the sentences `next` yields, with SentencePiece's command-line
/// options in `options` ("--vocab_size=8000 --model_type=unigram ..."), its sampling
/// and shuffling seeded with `seed`. On success
/// returns 1 and a malloc'ed serialized model in `*model`/`*model_length` (free it with
/// `free`); on failure returns 0 and writes the message into `error`.
int32_t csp_train(const char *options, uint32_t seed, csp_sentence_source next, void *context, char **model,
                  size_t *model_length, char *error, size_t error_capacity);

#ifdef __cplusplus
}
#endif

#endif
