#include <xsock/Object.h>

#include "ObjectTable.h"

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace xsock {

namespace {

// Wire name -> the classes registered under it. A name claimed by two classes
// resolves to none: reading it would be a guess.
class Registry {
  public:
    static Registry& Instance() {
        static Registry registry;
        return registry;
    }

    void Add(const RuntimeClass* cls) {
        std::lock_guard lock(mutex_);
        classes_[cls->Name()].push_back(cls);
    }

    void Remove(const RuntimeClass* cls) {
        std::lock_guard lock(mutex_);
        auto it = classes_.find(cls->Name());
        if (it == classes_.end()) {
            return;
        }
        std::erase(it->second, cls);
        if (it->second.empty()) {
            classes_.erase(it);
        }
    }

    const RuntimeClass* Find(std::string_view name) {
        std::lock_guard lock(mutex_);
        auto it = classes_.find(name);
        return it != classes_.end() && it->second.size() == 1 ? it->second.front() : nullptr;
    }

  private:
    std::mutex mutex_;
    std::map<std::string, std::vector<const RuntimeClass*>, std::less<>> classes_;
};

}  // namespace

RuntimeClass::RuntimeClass(const char* name, unsigned schema, const RuntimeClass* base,
                           Factory factory, const std::type_info& type, std::size_t size)
    : name_(name), schema_(schema), base_(base), factory_(factory), type_(type), size_(size) {
    if (factory_ != nullptr) {
        Registry::Instance().Add(this);
    }
}

RuntimeClass::~RuntimeClass() {
    if (factory_ != nullptr) {
        Registry::Instance().Remove(this);
    }
}

std::unique_ptr<Object> RuntimeClass::CreateObject() const {
    return factory_ != nullptr ? factory_() : nullptr;
}

bool RuntimeClass::IsDerivedFrom(const RuntimeClass* base) const noexcept {
    for (const RuntimeClass* cls = this; cls != nullptr; cls = cls->base_) {
        if (cls == base) {
            return true;
        }
    }
    return false;
}

const RuntimeClass* RuntimeClass::FromName(std::string_view name) {
    return Registry::Instance().Find(name);
}

const RuntimeClass Object::kRuntimeClass{"xsock::Object", RuntimeClass::kNotSerializable,
                                         nullptr,         nullptr,
                                         typeid(Object),  sizeof(Object)};

Object::~Object() {
    detail::ObjectTable::Withdraw(*this);
}

void Object::Serialize(Archive&) {}

const RuntimeClass* Object::GetRuntimeClass() const {
    return &kRuntimeClass;
}

bool Object::IsKindOf(const RuntimeClass* cls) const noexcept {
    return GetRuntimeClass()->IsDerivedFrom(cls);
}

}  // namespace xsock
