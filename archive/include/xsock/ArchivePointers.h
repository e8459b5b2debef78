// Archive operators for pointers to Object-derived classes: raw pointers as in
// MFC (`ar << pMsg`, `ar >> pMsg`), std::unique_ptr and std::shared_ptr.
//
// Storing writes each object once, however many pointers lead to it (cycles
// included); the later ones become references. Loading a raw pointer hands a
// newly created object to the caller, as CArchive does; a reference to an object
// already loaded yields the same pointer. A unique_ptr only ever takes a newly
// created object: a reference to one already handed out is refused (badIndex)
// rather than owned twice. shared_ptrs loaded for one object share it (a cycle
// of shared_ptrs comes back as a cycle, and leaks as any would); the archive
// itself holds none, so an object whose owners all let go is gone for good. A
// reference to any object destroyed since it was loaded is badIndex, whatever
// the pointer kind (see Object.h). A loaded object must be of the requested
// class (badClass otherwise); the check runs before the object reads its data.
// If loading fails, the object being loaded is destroyed and nothing leaks,
// provided the classes own what they load (for example through unique_ptr
// members).
//
// A raw pointer that owns nothing (a back pointer to a parent) should travel as
// `ar << xsock::Unowned(parent_)` / `ar >> xsock::Unowned(parent_)`: it only
// ever resolves to an object already loaded, so hostile input cannot make it
// the sole owner of a new object.
//
// Included by Archive.h; see it for thread rules and errors.
#pragma once

#include <xsock/Archive.h>

#include <concepts>
#include <memory>
#include <type_traits>

namespace xsock {

namespace detail {

template <class T>
concept SerializablePointee = std::derived_from<std::remove_const_t<T>, Object>;

template <class T>
bool IsA(const Object* object) {
    return dynamic_cast<const T*>(object) != nullptr;
}

template <class T>
Object* Load(Archive& ar, Archive::Ownership ownership) {
    using Plain = std::remove_const_t<T>;
    return ar.LoadObject(&Plain::kRuntimeClass, &IsA<Plain>, ownership).object;
}

}  // namespace detail

template <detail::SerializablePointee T>
Archive& operator<<(Archive& ar, T* object) {
    ar.WriteObject(object);
    return ar;
}

template <detail::SerializablePointee T>
Archive& operator>>(Archive& ar, T*& object) {
    object = dynamic_cast<T*>(detail::Load<T>(ar, Archive::Ownership::caller));
    return ar;
}

template <detail::SerializablePointee T>
struct Unowned {
    explicit Unowned(T*& target) : pointer(target) {}
    T*& pointer;
};

template <detail::SerializablePointee T>
Archive& operator<<(Archive& ar, Unowned<T> object) {
    ar.WriteReference(object.pointer);
    return ar;
}

template <detail::SerializablePointee T>
Archive& operator>>(Archive& ar, Unowned<T> object) {
    object.pointer = dynamic_cast<T*>(detail::Load<T>(ar, Archive::Ownership::none));
    return ar;
}

template <detail::SerializablePointee T, class Deleter>
Archive& operator<<(Archive& ar, const std::unique_ptr<T, Deleter>& object) {
    ar.WriteObject(object.get());
    return ar;
}

template <detail::SerializablePointee T>
Archive& operator>>(Archive& ar, std::unique_ptr<T>& object) {
    object.reset(dynamic_cast<T*>(detail::Load<T>(ar, Archive::Ownership::unique)));
    return ar;
}

template <detail::SerializablePointee T>
Archive& operator<<(Archive& ar, const std::shared_ptr<T>& object) {
    ar.WriteObject(object.get());
    return ar;
}

template <detail::SerializablePointee T>
Archive& operator>>(Archive& ar, std::shared_ptr<T>& object) {
    using Plain = std::remove_const_t<T>;
    std::shared_ptr<Object> loaded =
        ar.LoadObject(&Plain::kRuntimeClass, &detail::IsA<Plain>, Archive::Ownership::shared)
            .shared;
    object = std::dynamic_pointer_cast<T>(std::move(loaded));
    return ar;
}

}  // namespace xsock
