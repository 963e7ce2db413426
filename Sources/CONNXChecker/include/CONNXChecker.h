// A C interface over libonnx's C++ model checker (ONNX 1.12 from libonnx-dev: IR version <= 8).
#ifndef CONNXCHECKER_H
#define CONNXCHECKER_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

/// The highest IR version libonnx's checker accepts.
int64_t whittle_onnx_checker_max_ir_version(void);

/// Runs onnx::checker::check_model on the file at `path`.
/// Returns 0 when valid, 1 when invalid (message in `message`), 2 when the checker itself failed.
int whittle_onnx_check_model(const char *path, char *message, size_t message_capacity);

#ifdef __cplusplus
}
#endif
#endif
