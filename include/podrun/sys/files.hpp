// Files and directories by path: read, write (atomically too), make, list, remove, open.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "podrun/sys/fd.hpp"

namespace podrun::sys {

std::string read_file(const std::string& path);  // throws SysError
std::optional<std::string> try_read_file(const std::string& path);
void write_file(const std::string& path, const std::string& data);  // existing file, one write
// tmp + fsync + rename, so a reader never sees a half-written file (DESIGN.md section 7).
// Replaces the contents of dir_fd/name (an existing file; no symlink followed) in one go.
void rewrite_file_at(int dir_fd, const std::string& name, const std::string& data, const std::string& what);
void write_file_atomic(const std::string& path, const std::string& data, unsigned mode = 0644);
void mkdir_p(const std::string& path, unsigned mode = 0755);
// mkdir(2): true if created, false if it already existed; throws otherwise.
bool make_dir(const std::string& path, unsigned mode);
void change_mode(const std::string& path, unsigned mode);
bool exists(const std::string& path);
void rename_path(const std::string& from, const std::string& to);  // ENOENT is fine
void remove_file(const std::string& path);                         // unlink(2); ENOENT is fine
bool is_dir(const std::string& path);
void remove_tree(const std::string& path);  // rm -rf, staying on one filesystem
// rmdir(2); returns errno (0 on success, ENOENT counts as success).
int rmdir_errno(const std::string& path);
std::vector<std::string> list_dir(const std::string& path);  // names, without . and ..
UniqueFd open_dir(const std::string& path);                  // O_PATH|O_DIRECTORY|O_CLOEXEC
UniqueFd open_file(const std::string& path, int flags, unsigned mode = 0644);
void set_cloexec(int fd, bool on);

// What a path is, following symlinks (stat(2)); nullopt when it does not exist.
enum class FileKind { Directory, Regular, Socket, CharDevice, BlockDevice, Other };
std::optional<FileKind> file_kind(const std::string& path);
// access(X_OK): may we execute it?
bool executable(const std::string& path);
// Creates an empty file if none exists (O_CREAT, not its parents); 0 or errno.
int create_file(const std::string& path, unsigned mode);

}  // namespace podrun::sys
