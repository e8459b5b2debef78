// The benchmark's record mix, after cpp_serializers_benchmark's "monster":
// short strings, a byte vector, a vector of small structs with strings, a
// vector of float triples and a few scalars.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace bench {

struct Vec3 {
    float x = 0, y = 0, z = 0;
    bool operator==(const Vec3&) const = default;
};

enum class Color : std::uint8_t { red, green, blue };

struct Weapon {
    std::string name;
    std::int16_t damage = 0;
    bool operator==(const Weapon&) const = default;
};

struct Monster {
    Vec3 pos;
    std::int16_t mana = 0;
    std::int16_t hp = 0;
    std::string name;
    std::vector<std::uint8_t> inventory;
    Color color = Color::red;
    std::vector<Weapon> weapons;
    Weapon equipped;
    std::vector<Vec3> path;
    bool operator==(const Monster&) const = default;
};

inline std::vector<Monster> MakeMonsters(std::size_t count, unsigned seed) {
    std::mt19937 random(seed);
    auto between = [&](int low, int high) {
        return std::uniform_int_distribution<int>(low, high)(random);
    };
    auto text = [&](int low, int high) {
        std::string s(static_cast<std::size_t>(between(low, high)), ' ');
        for (char& ch : s) {
            ch = static_cast<char>(between('a', 'z'));
        }
        return s;
    };
    auto point = [&] {
        return Vec3{static_cast<float>(between(-1000, 1000)) / 7,
                    static_cast<float>(between(-1000, 1000)) / 7,
                    static_cast<float>(between(-1000, 1000)) / 7};
    };
    std::vector<Monster> monsters(count);
    for (Monster& m : monsters) {
        m.pos = point();
        m.mana = static_cast<std::int16_t>(between(0, 200));
        m.hp = static_cast<std::int16_t>(between(0, 500));
        m.name = text(6, 20);
        m.inventory.resize(static_cast<std::size_t>(between(5, 30)));
        for (auto& item : m.inventory) {
            item = static_cast<std::uint8_t>(between(0, 255));
        }
        m.color = static_cast<Color>(between(0, 2));
        m.weapons.resize(static_cast<std::size_t>(between(1, 4)));
        for (Weapon& w : m.weapons) {
            w = Weapon{text(4, 12), static_cast<std::int16_t>(between(1, 100))};
        }
        m.equipped = m.weapons.front();
        m.path.resize(static_cast<std::size_t>(between(3, 20)));
        for (Vec3& p : m.path) {
            p = point();
        }
    }
    return monsters;
}

}  // namespace bench
