#include "csentencepiece.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

// Declared in SentencePiece's internal common.h, exported by the library: the trainer
// logs at INFO level before it reads --minloglevel.
namespace sentencepiece {
namespace logging {
void SetMinLogLevel(int v);
}  // namespace logging
}  // namespace sentencepiece

namespace {

void copy_message(const std::string &message, char *error, size_t capacity) {
    if (error == nullptr || capacity == 0) return;
    size_t length = message.size() < capacity - 1 ? message.size() : capacity - 1;
    std::memcpy(error, message.data(), length);
    error[length] = '\0';
}

/// Hands SentencePiece's trainer the sentences of a C callback.
class CallbackSentences : public sentencepiece::SentenceIterator {
  public:
    CallbackSentences(csp_sentence_source next, void *context) : next_(next), context_(context) { Next(); }
    bool done() const override { return done_; }
    void Next() override {
        const char *text = nullptr;
        size_t length = 0;
        if (next_(context_, &text, &length)) {
            value_.assign(text, length);
        } else {
            done_ = true;
        }
    }
    const std::string &value() const override { return value_; }
    sentencepiece::util::Status status() const override { return sentencepiece::util::Status(); }

  private:
    csp_sentence_source next_;
    void *context_;
    std::string value_;
    bool done_ = false;
};

}  // namespace

struct csp_processor {
    sentencepiece::SentencePieceProcessor processor;
    std::vector<int> ids;
    std::string text;
};

extern "C" {

csp_processor *csp_load(const char *serialized, size_t length, char *error, size_t error_capacity) {
    // A damaged model can make SentencePiece's parts throw as well as return a status (its
    // trie builder throws on an empty piece); no exception may cross into Swift.
    try {
        auto loaded = std::make_unique<csp_processor>();
        auto status = loaded->processor.LoadFromSerializedProto(std::string(serialized, length));
        if (!status.ok()) {
            copy_message(status.ToString(), error, error_capacity);
            return nullptr;
        }
        return loaded.release();
    } catch (const std::exception &exception) {
        copy_message(exception.what(), error, error_capacity);
    } catch (...) {
        copy_message("SentencePiece failed while loading it", error, error_capacity);
    }
    return nullptr;
}

void csp_free(csp_processor *processor) { delete processor; }

int32_t csp_piece_count(const csp_processor *processor) { return processor->processor.GetPieceSize(); }

const char *csp_piece(const csp_processor *processor, int32_t id, size_t *length) {
    const std::string &piece = processor->processor.IdToPiece(id);
    *length = piece.size();
    return piece.data();
}

int32_t csp_is_byte(const csp_processor *processor, int32_t id) { return processor->processor.IsByte(id); }

int32_t csp_is_special(const csp_processor *processor, int32_t id) {
    return processor->processor.IsControl(id) || processor->processor.IsUnknown(id);
}

int64_t csp_encode(csp_processor *processor, const char *text, size_t length, const int32_t **ids) {
    processor->ids.clear();
    try {
        if (!processor->processor.Encode(std::string_view(text, length), &processor->ids).ok()) return -1;
    } catch (...) {
        return -1;
    }
    static_assert(sizeof(int) == sizeof(int32_t), "ids are 32-bit");
    *ids = reinterpret_cast<const int32_t *>(processor->ids.data());
    return static_cast<int64_t>(processor->ids.size());
}

int64_t csp_decode(csp_processor *processor, const int32_t *ids, size_t count, const char **text) {
    int pieces = processor->processor.GetPieceSize();
    std::vector<int> input(ids, ids + count);
    for (int id : input) {
        if (id < 0 || id >= pieces) return -1;
    }
    processor->text.clear();
    try {
        if (!processor->processor.Decode(input, &processor->text).ok()) return -1;
    } catch (...) {
        return -1;
    }
    *text = processor->text.data();
    return static_cast<int64_t>(processor->text.size());
}

int32_t csp_train(const char *options, uint32_t seed, csp_sentence_source next, void *context, char **model,
                  size_t *model_length, char *error, size_t error_capacity) {
    sentencepiece::logging::SetMinLogLevel(2);  // errors only: they come back as the status
    sentencepiece::SetRandomGeneratorSeed(seed);
    std::string serialized;
    try {
        CallbackSentences sentences(next, context);
        auto status = sentencepiece::SentencePieceTrainer::Train(options, &sentences, &serialized);
        if (!status.ok()) {
            copy_message(status.ToString(), error, error_capacity);
            return 0;
        }
    } catch (const std::exception &exception) {
        copy_message(exception.what(), error, error_capacity);
        return 0;
    }
    *model = static_cast<char *>(std::malloc(serialized.size()));
    if (*model == nullptr) {
        copy_message("out of memory", error, error_capacity);
        return 0;
    }
    std::memcpy(*model, serialized.data(), serialized.size());
    *model_length = serialized.size();
    return 1;
}

}  // extern "C"
