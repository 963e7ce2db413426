// Unpacks a ModelProto from a read-only file mapping while keeping little of the mapping resident.
#include "../include/CONNXProto.h"
#include <stdlib.h>
#include <sys/mman.h>

// protobuf-c copies every bytes field out of the input, so unpacking a mapped file would hold each
// weight twice: the file's pages and the copy. The mapping is private and never written, so its
// pages can be dropped at any time and are refaulted from the page cache if read again. Every
// `release_every` allocated bytes the whole mapping is dropped; what stays resident is what was
// parsed since (one large tensor at most, plus the headers the parser reads again).
typedef struct {
    void *mapping;
    size_t mapping_length;
    size_t allocated_since_release;
} ReleasingAllocatorState;

static const size_t release_every = (size_t)8 << 20;

static void *releasing_alloc(void *data, size_t size) {
    ReleasingAllocatorState *state = data;
    state->allocated_since_release += size;
    if (state->allocated_since_release >= release_every) {
        madvise(state->mapping, state->mapping_length, MADV_DONTNEED);
        state->allocated_since_release = 0;
    }
    return malloc(size);
}

static void releasing_free(void *data, void *pointer) {
    (void)data;
    free(pointer);
}

Onnx__ModelProto *whittle_unpack_model_from_mapping(
    const uint8_t *bytes, size_t length, void *mapping, size_t mapping_length) {
    ReleasingAllocatorState state = {mapping, mapping_length, 0};
    ProtobufCAllocator allocator = {releasing_alloc, releasing_free, &state};
    Onnx__ModelProto *model = onnx__model_proto__unpack(&allocator, length, bytes);
    madvise(mapping, mapping_length, MADV_DONTNEED);
    return model;
}
