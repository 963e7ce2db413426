// Calls libonnx's checker; exceptions never cross into Swift.
#include "include/CONNXChecker.h"
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <cstring>
#include <exception>
#include <string>

static void copy_message(const std::string &text, char *message, size_t capacity) {
    if (message == nullptr || capacity == 0) return;
    size_t n = text.size() < capacity - 1 ? text.size() : capacity - 1;
    std::memcpy(message, text.data(), n);
    message[n] = '\0';
}

extern "C" int64_t whittle_onnx_checker_max_ir_version(void) {
    return onnx::Version::IR_VERSION;
}

extern "C" int whittle_onnx_check_model(const char *path, char *message, size_t capacity) {
    try {
        onnx::checker::check_model(std::string(path));
        copy_message("", message, capacity);
        return 0;
    } catch (const onnx::checker::ValidationError &error) {
        copy_message(error.what(), message, capacity);
        return 1;
    } catch (const std::exception &error) {
        copy_message(error.what(), message, capacity);
        return 2;
    } catch (...) {
        copy_message("unknown exception from onnx::checker", message, capacity);
        return 2;
    }
}
