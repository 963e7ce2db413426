// Streaming pack of a ModelProto into a FILE, and unknown-field accessors (see CONNXProto.h).
#include "../include/CONNXProto.h"
#include <errno.h>

typedef struct {
    ProtobufCBuffer base;  // must stay first: protobuf-c calls append with this pointer
    FILE *file;
    int error;
} WhittleFileBuffer;

static void whittle_file_append(ProtobufCBuffer *buffer, size_t len, const uint8_t *data) {
    WhittleFileBuffer *fb = (WhittleFileBuffer *)buffer;
    if (fb->error != 0 || len == 0) return;
    if (fwrite(data, 1, len, fb->file) != len) fb->error = errno != 0 ? errno : EIO;
}

int whittle_pack_model_to_file(const Onnx__ModelProto *model, FILE *file) {
    WhittleFileBuffer fb = {{whittle_file_append}, file, 0};
    errno = 0;
    onnx__model_proto__pack_to_buffer(model, &fb.base);
    return fb.error;
}

size_t whittle_unknown_count(const void *message) {
    return ((const ProtobufCMessage *)message)->n_unknown_fields;
}

const ProtobufCMessageUnknownField *whittle_unknown_fields(const void *message) {
    return ((const ProtobufCMessage *)message)->unknown_fields;
}

void whittle_set_unknown_fields(void *message, size_t count, ProtobufCMessageUnknownField *fields) {
    ProtobufCMessage *m = (ProtobufCMessage *)message;
    m->n_unknown_fields = (unsigned)count;
    m->unknown_fields = fields;
}
