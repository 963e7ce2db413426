// Umbrella header: the protoc-c output (generated/) plus Whittle's streaming-pack helper.
#ifndef CONNXPROTO_H
#define CONNXPROTO_H
#include "../generated/onnx.pb-c.h"
#include <stdio.h>

/// Packs a ModelProto straight into an open FILE through a ProtobufCBuffer, so a large model is
/// never held twice in memory. Returns 0 on success, otherwise the errno of the failed write.
int whittle_pack_model_to_file(const Onnx__ModelProto *model, FILE *file);

/// Unpacks a ModelProto from `bytes`, which lie inside the read-only private file mapping
/// `[mapping, mapping + mapping_length)`, dropping the mapping's resident pages as the weights are
/// copied out, so the file is not held twice. The result is freed with the default allocator
/// (`onnx__model_proto__free_unpacked(model, NULL)`). NULL when the bytes do not parse.
Onnx__ModelProto *whittle_unpack_model_from_mapping(
    const uint8_t *bytes, size_t length, void *mapping, size_t mapping_length);

/// Unknown-field accessors: Swift cannot reach ProtobufCMessage members through the message
/// union types conveniently, so these keep the casts in C.
size_t whittle_unknown_count(const void *message);
const ProtobufCMessageUnknownField *whittle_unknown_fields(const void *message);
void whittle_set_unknown_fields(void *message, size_t count, ProtobufCMessageUnknownField *fields);

#endif
