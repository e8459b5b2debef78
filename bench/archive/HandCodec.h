// The baseline: a hand-written encoder that memcpys each field into a growing
// byte vector (u32 lengths), and a decoder that checks bounds once per field.
#pragma once

#include "Monster.h"

#include <cstring>
#include <stdexcept>

namespace bench {

class HandEncoder {
  public:
    explicit HandEncoder(std::vector<std::uint8_t>& out) : out_(out) {}

    template <class T>
    void Put(const T& value) {
        PutBytes(&value, sizeof value);
    }
    void PutBytes(const void* data, std::size_t size) {
        const std::size_t at = out_.size();
        out_.resize(at + size);
        std::memcpy(out_.data() + at, data, size);
    }
    void PutString(const std::string& s) {
        Put(static_cast<std::uint32_t>(s.size()));
        PutBytes(s.data(), s.size());
    }
    void PutWeapon(const Weapon& w) {
        PutString(w.name);
        Put(w.damage);
    }
    void PutMonster(const Monster& m) {
        Put(m.pos);
        Put(m.mana);
        Put(m.hp);
        PutString(m.name);
        Put(static_cast<std::uint32_t>(m.inventory.size()));
        PutBytes(m.inventory.data(), m.inventory.size());
        Put(m.color);
        Put(static_cast<std::uint32_t>(m.weapons.size()));
        for (const Weapon& w : m.weapons) {
            PutWeapon(w);
        }
        PutWeapon(m.equipped);
        Put(static_cast<std::uint32_t>(m.path.size()));
        PutBytes(m.path.data(), m.path.size() * sizeof(Vec3));
    }

  private:
    std::vector<std::uint8_t>& out_;
};

class HandDecoder {
  public:
    HandDecoder(const std::uint8_t* data, std::size_t size) : at_(data), end_(data + size) {}

    template <class T>
    void Get(T& value) {
        GetBytes(&value, sizeof value);
    }
    void GetBytes(void* data, std::size_t size) {
        if (static_cast<std::size_t>(end_ - at_) < size) {
            throw std::runtime_error("truncated");
        }
        std::memcpy(data, at_, size);
        at_ += size;
    }
    std::uint32_t GetLength() {
        std::uint32_t n = 0;
        Get(n);
        if (n > static_cast<std::size_t>(end_ - at_)) {
            throw std::runtime_error("truncated");
        }
        return n;
    }
    void GetString(std::string& s) {
        const std::uint32_t n = GetLength();
        s.assign(reinterpret_cast<const char*>(at_), n);
        at_ += n;
    }
    void GetWeapon(Weapon& w) {
        GetString(w.name);
        Get(w.damage);
    }
    void GetMonster(Monster& m) {
        Get(m.pos);
        Get(m.mana);
        Get(m.hp);
        GetString(m.name);
        m.inventory.resize(GetLength());
        GetBytes(m.inventory.data(), m.inventory.size());
        Get(m.color);
        m.weapons.resize(GetLength());
        for (Weapon& w : m.weapons) {
            GetWeapon(w);
        }
        GetWeapon(m.equipped);
        m.path.resize(GetLength());
        GetBytes(m.path.data(), m.path.size() * sizeof(Vec3));
    }

  private:
    const std::uint8_t* at_;
    const std::uint8_t* end_;
};

}  // namespace bench
