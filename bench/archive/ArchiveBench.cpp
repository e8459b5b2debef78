// Serializes and deserializes a mix of "monster" records with xsock::Archive
// (to a MemFile), cereal's binary archive (to a stringstream) and a
// hand-written memcpy encoder (to a byte vector), all in one run, and prints
// the medians of several repetitions. Each codec loads twice: into an empty
// vector, where building the records' strings and vectors dominates, and then
// on top of those records, where their memory is reused.
//
//   ArchiveBench [records] [repetitions] [codec name prefix, for profiling one]
//   ArchiveBench --quick     (a fast smoke run: 2000 records, 3 repetitions)
#include "HandCodec.h"
#include "Monster.h"

#include <xsock/Archive.h>

#include <cereal/archives/binary.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <sstream>
#include <string>

// Vec3 is three floats with no padding, written in order: a path moves in one
// copy, as the hand-written encoder's does.
template <>
inline constexpr bool xsock::kStoredAsBytes<bench::Vec3> = true;

namespace bench {

xsock::Archive& operator<<(xsock::Archive& ar, const Vec3& v) {
    return ar << v.x << v.y << v.z;
}
xsock::Archive& operator>>(xsock::Archive& ar, Vec3& v) {
    return ar >> v.x >> v.y >> v.z;
}
xsock::Archive& operator<<(xsock::Archive& ar, const Weapon& w) {
    return ar << w.name << w.damage;
}
xsock::Archive& operator>>(xsock::Archive& ar, Weapon& w) {
    return ar >> w.name >> w.damage;
}
xsock::Archive& operator<<(xsock::Archive& ar, const Monster& m) {
    return ar << m.pos << m.mana << m.hp << m.name << m.inventory << m.color << m.weapons
              << m.equipped << m.path;
}
xsock::Archive& operator>>(xsock::Archive& ar, Monster& m) {
    return ar >> m.pos >> m.mana >> m.hp >> m.name >> m.inventory >> m.color >> m.weapons >>
           m.equipped >> m.path;
}

template <class A>
void serialize(A& a, Vec3& v) {
    a(v.x, v.y, v.z);
}
template <class A>
void serialize(A& a, Weapon& w) {
    a(w.name, w.damage);
}
template <class A>
void serialize(A& a, Monster& m) {
    a(m.pos, m.mana, m.hp, m.name, m.inventory, m.color, m.weapons, m.equipped, m.path);
}

}  // namespace bench

namespace {

using bench::Monster;

struct Codec {
    const char* name;
    std::function<std::size_t(const std::vector<Monster>&)> store;  // returns bytes
    std::function<void(std::vector<Monster>&)> load;
};

// CPU time of this thread (user and system), so that other processes competing
// for the cores do not show up as serialization time.
double ThreadSeconds() {
    timespec now{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

double Seconds(const std::function<void()>& work) {
    // A large request makes glibc consolidate the small blocks the previous
    // phase freed, so that no codec pays for another's frees.
    void* volatile settle = std::malloc(256 * 1024);
    std::free(settle);
    const double start = ThreadSeconds();
    work();
    return ThreadSeconds() - start;
}

double Median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    const std::string first = argc > 1 ? argv[1] : "";
    if (first == "--help" || first == "-h") {
        std::printf("usage: ArchiveBench [records [repetitions [codec prefix]]] | --quick\n");
        return 0;
    }
    const bool quick = first == "--quick";
    const std::size_t records = quick      ? 2000
                                : argc > 1 ? std::strtoul(argv[1], nullptr, 10)
                                           : 20000;
    const int repetitions = quick ? 3 : argc > 2 ? std::atoi(argv[2]) : 31;
    const std::string only = !quick && argc > 3 ? argv[3] : "";
    const std::vector<Monster> monsters = bench::MakeMonsters(records, 42);

    xsock::MemFile memFile;
    std::stringstream stream;
    std::vector<std::uint8_t> handBytes;

    const Codec codecs[] = {
        {"xsock::Archive",
         [&](const std::vector<Monster>& in) {
             memFile.SetLength(0);
             xsock::Archive ar(memFile, xsock::Archive::store);
             ar << in;
             ar.Close();
             return static_cast<std::size_t>(memFile.GetLength());
         },
         [&](std::vector<Monster>& out) {
             memFile.SeekToBegin();
             xsock::Archive ar(memFile, xsock::Archive::load);
             ar >> out;
         }},
        {"cereal binary",
         [&](const std::vector<Monster>& in) {
             stream.str(std::string());
             stream.clear();
             {
                 cereal::BinaryOutputArchive ar(stream);
                 ar(in);
             }
             return stream.str().size();
         },
         [&](std::vector<Monster>& out) {
             stream.clear();
             stream.seekg(0);
             cereal::BinaryInputArchive ar(stream);
             ar(out);
         }},
        {"hand-written memcpy",
         [&](const std::vector<Monster>& in) {
             handBytes.clear();
             bench::HandEncoder encoder(handBytes);
             encoder.Put(static_cast<std::uint32_t>(in.size()));
             for (const Monster& m : in) {
                 encoder.PutMonster(m);
             }
             return handBytes.size();
         },
         [&](std::vector<Monster>& out) {
             bench::HandDecoder decoder(handBytes.data(), handBytes.size());
             out.resize(decoder.GetLength());
             for (Monster& m : out) {
                 decoder.GetMonster(m);
             }
         }},
    };

    struct Row {
        const char* name;
        std::size_t bytes = 0;
        std::vector<double> stores;
        std::vector<double> loads;
        std::vector<double> reloads;
    };
    std::vector<Row> rows;
    std::vector<const Codec*> chosen;
    for (const Codec& codec : codecs) {
        if (std::string(codec.name).rfind(only, 0) == 0) {
            chosen.push_back(&codec);
            rows.push_back(Row{codec.name, 0, {}, {}, {}});
        }
    }
    // Codecs take turns within each repetition so that drifts in machine load
    // reach all of them alike; the first two repetitions only warm up.
    for (int rep = -2; rep < repetitions; ++rep) {
        for (std::size_t turn = 0; turn < chosen.size(); ++turn) {
            // The order rotates, so no codec always inherits the heap another
            // one just freed.
            const std::size_t i = (turn + static_cast<std::size_t>(rep + 2)) % chosen.size();
            std::vector<Monster> back;
            const double store = Seconds([&] { rows[i].bytes = chosen[i]->store(monsters); });
            const double load = Seconds([&] { chosen[i]->load(back); });
            bool same = back == monsters;
            // Then again on top of the records just loaded, as
            // cpp_serializers_benchmark measures: a program that reads each
            // message into the same object. A few fields are spoiled first so
            // the check below sees the second load.
            for (Monster& m : back) {
                m.hp = -1;
                m.name.clear();
                m.path.clear();
            }
            const double reload = Seconds([&] { chosen[i]->load(back); });
            same = same && back == monsters;
            if (!same) {
                std::fprintf(stderr, "%s: loaded records differ\n", chosen[i]->name);
                return 1;
            }
            if (rep >= 0) {
                rows[i].stores.push_back(store);
                rows[i].loads.push_back(load);
                rows[i].reloads.push_back(reload);
            }
        }
    }

    std::printf(
        "%zu records, median of %d repetitions; \"reload\" loads on top of the "
        "records loaded before\n\n",
        records, repetitions);
    std::printf(
        "| codec | bytes | store MB/s | load MB/s | reload MB/s | store records/s | load "
        "records/s | reload records/s |\n");
    std::printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (const Row& row : rows) {
        const double mb = static_cast<double>(row.bytes) / 1e6;
        const double n = static_cast<double>(records) / 1e6;
        const double store = Median(row.stores);
        const double load = Median(row.loads);
        const double reload = Median(row.reloads);
        std::printf("| %s | %zu | %.0f | %.0f | %.0f | %.2fM | %.2fM | %.2fM |\n", row.name,
                    row.bytes, mb / store, mb / load, mb / reload, n / store, n / load, n / reload);
    }
    if (rows.size() == 3) {
        // Ratios are taken within each repetition, where the three codecs ran
        // back to back, and then their median: drifts in the machine's speed
        // between repetitions cancel out.
        const auto paired = [&](std::vector<double> Row::*phase, std::size_t over,
                                std::size_t under) {
            std::vector<double> ratios;
            for (std::size_t r = 0; r < (rows[over].*phase).size(); ++r) {
                ratios.push_back((rows[over].*phase)[r] / (rows[under].*phase)[r]);
            }
            return Median(ratios);
        };
        struct Phase {
            const char* name;
            std::vector<double> Row::*times;
            double target;  // the least records/s ratio to cereal
        };
        const Phase phases[] = {
            {"store", &Row::stores, 6}, {"load", &Row::loads, 3}, {"reload", &Row::reloads, 4}};
        std::printf("\nMedians of the ratios within each repetition:\n\n");
        std::printf("| target | measured | met |\n| --- | --- | --- |\n");
        for (const Phase& phase : phases) {
            const double vsCereal = paired(phase.times, 1, 0);
            std::printf("| archive %s >= %.0fx cereal, records/s | %.2fx | %s |\n", phase.name,
                        phase.target, vsCereal, vsCereal >= phase.target ? "yes" : "no");
        }
        for (const Phase& phase : phases) {
            const double vsHand = paired(phase.times, 0, 2);
            std::printf("| archive %s time <= 1.5x hand-written | %.2fx | %s |\n", phase.name,
                        vsHand, vsHand <= 1.5 ? "yes" : "no");
        }
        std::printf("\nhand-written vs cereal, records/s: store %.2fx, load %.2fx, reload %.2fx\n",
                    paired(&Row::stores, 1, 2), paired(&Row::loads, 1, 2),
                    paired(&Row::reloads, 1, 2));
    }
    return 0;
}
