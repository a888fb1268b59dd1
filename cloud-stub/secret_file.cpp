#include "cloud-stub/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "common/util/input_error.h"

namespace svp::cloud {

void write_secret_file(const std::filesystem::path& path, ByteView bytes) {
    auto tmp = path;
    tmp += ".tmp";
    ::unlink(tmp.c_str());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error(tmp.string() + ": cannot create: " + std::strerror(errno));
    std::size_t done = 0;
    while (done < bytes.size()) {
        auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ::close(fd);
            throw std::runtime_error(tmp.string() + ": write failed: " + std::strerror(errno));
        }
        done += static_cast<std::size_t>(n);
    }
    // fsync before rename: after a crash the name points at the whole file or at nothing.
    if (::fsync(fd) != 0 || ::close(fd) != 0)
        throw std::runtime_error(tmp.string() + ": fsync failed: " + std::strerror(errno));
    std::filesystem::rename(tmp, path);
}

std::string read_secret_file(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw InputError(path.string(), 0, "cannot read: " + std::string(std::strerror(errno)));
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        throw InputError(path.string(), 0, "group or others may read this secret; run chmod 600 on it");
    return read_text_file(path);
}

}  // namespace svp::cloud
