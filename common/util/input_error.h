// An error in something a user gave us (a scenario, a variant file, an image, a manifest,
// a network message). It names what was wrong and where, as `file:line: message`, so the
// command line can print it and exit 2 (the exit-code contract in cli/README.md).
#pragma once

#include <stdexcept>
#include <string>

namespace svp {

class InputError : public std::runtime_error {
public:
    InputError(std::string file, int line, const std::string& message)
        : std::runtime_error(format(file, line, message)), file_(std::move(file)), line_(line),
          message_(message) {}
    explicit InputError(const std::string& message) : InputError("", 0, message) {}

    const std::string& file() const { return file_; }
    int line() const { return line_; }
    const std::string& message() const { return message_; }

private:
    static std::string format(const std::string& file, int line, const std::string& message) {
        if (file.empty()) return message;
        if (line <= 0) return file + ": " + message;
        return file + ":" + std::to_string(line) + ": " + message;
    }
    std::string file_;
    int line_;
    std::string message_;
};

}  // namespace svp
