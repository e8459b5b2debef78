// Writes the seed corpus for ArchiveLoadFuzzer: each seed model in every
// option combination, plus the golden wire-format byte sequences.
#include "FuzzModel.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

void WriteSeed(const std::filesystem::path& dir, const std::string& name, std::uint8_t options,
               std::span<const std::byte> archive) {
    std::ofstream out(dir / name, std::ios::binary);
    out.put(static_cast<char>(options));
    out.write(reinterpret_cast<const char*>(archive.data()),
              static_cast<std::streamsize>(archive.size()));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <seed directory>\n", argv[0]);
        return 2;
    }
    const std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir);
    int written = 0;
    const auto models = fuzz::SeedModels();
    for (std::size_t i = 0; i < models.size(); ++i) {
        for (std::uint8_t bits = 0; bits < 16; ++bits) {
            const fuzz::Options options = fuzz::DecodeOptions(bits);
            xsock::MemFile file;
            xsock::Archive ar(file, xsock::Archive::store);
            ar.SetByteOrder(options.bigEndian ? std::endian::big : std::endian::little);
            fuzz::Store(ar, models[i]);
            ar.Close();
            WriteSeed(dir, "model" + std::to_string(i) + "-" + std::to_string(bits),
                      fuzz::EncodeOptions(options), file.Contents());
            ++written;
        }
    }
    std::printf("%d seeds in %s\n", written, dir.c_str());
    return 0;
}
