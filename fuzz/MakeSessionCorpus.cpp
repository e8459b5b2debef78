// Writes the seed corpus for ArchiveSessionFuzzer: each seed session in every
// option combination, one storing archive per session as its sender keeps.
#include "SessionModel.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <seed directory>\n", argv[0]);
        return 2;
    }
    const std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir);
    int written = 0;
    const auto sessions = session::SeedSessions();
    for (std::size_t i = 0; i < sessions.size(); ++i) {
        for (std::uint8_t bits = 0; bits < 16; ++bits) {
            const session::Options options = session::DecodeOptions(bits);
            xsock::MemFile file;
            xsock::Archive ar(file, xsock::Archive::store);
            ar.SetByteOrder(options.bigEndian ? std::endian::big : std::endian::little);
            std::ofstream out(dir / ("session" + std::to_string(i) + "-" + std::to_string(bits)),
                              std::ios::binary);
            out.put(static_cast<char>(session::EncodeOptions(options)));
            std::size_t sent = 0;
            for (const auto& [control, message] : sessions[i]) {
                session::Store(ar, message);
                ar.Flush();
                const auto bytes = file.Contents().subspan(sent);
                sent += bytes.size();
                out.put(static_cast<char>(control));
                out.put(static_cast<char>(bytes.size() & 0xFF));
                out.put(static_cast<char>(bytes.size() >> 8));
                out.write(reinterpret_cast<const char*>(bytes.data()),
                          static_cast<std::streamsize>(bytes.size()));
            }
            ++written;
        }
    }
    std::printf("%d seeds in %s\n", written, dir.c_str());
    return 0;
}
