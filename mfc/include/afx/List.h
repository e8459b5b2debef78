// CList and the list classes of afxcoll.h (CObList, CStringList, CPtrList),
// with MFC's POSITION walking and Serialize layout: WriteCount(count) then
// each element from head to tail through SerializeElements (CObList: each
// pointer as an object). A POSITION is a node of the list it came from and
// stays valid until that node is removed. Thread safety: one thread at a time.
#pragma once

#include "Elements.h"

#include <memory>

struct AfxPosition;
using POSITION = AfxPosition*;

template <class TYPE, class ARG_TYPE = const TYPE&>
class CList : public CObject {
    struct Node {
        std::unique_ptr<Node> next;
        Node* prev = nullptr;
        TYPE data{};
    };

  public:
    CList() = default;
    ~CList() override { RemoveAll(); }
    CList(const CList&) = delete;
    CList& operator=(const CList&) = delete;

    INT_PTR GetCount() const noexcept { return count_; }
    INT_PTR GetSize() const noexcept { return count_; }
    BOOL IsEmpty() const noexcept { return count_ == 0; }

    TYPE& GetHead() { return head_->data; }
    const TYPE& GetHead() const { return head_->data; }
    TYPE& GetTail() { return tail_->data; }
    const TYPE& GetTail() const { return tail_->data; }
    POSITION GetHeadPosition() const noexcept { return Pos(head_.get()); }
    POSITION GetTailPosition() const noexcept { return Pos(tail_); }

    // The element at `position`, moving it to the next (or previous) node.
    TYPE& GetNext(POSITION& position) {
        Node* node = At(position);
        position = Pos(node->next.get());
        return node->data;
    }
    TYPE& GetPrev(POSITION& position) {
        Node* node = At(position);
        position = Pos(node->prev);
        return node->data;
    }
    const TYPE& GetNext(POSITION& position) const {
        return const_cast<CList*>(this)->GetNext(position);
    }
    const TYPE& GetPrev(POSITION& position) const {
        return const_cast<CList*>(this)->GetPrev(position);
    }
    TYPE& GetAt(POSITION position) { return At(position)->data; }
    const TYPE& GetAt(POSITION position) const { return At(position)->data; }
    void SetAt(POSITION position, ARG_TYPE element) { At(position)->data = element; }

    POSITION AddHead(ARG_TYPE element) { return InsertBefore(GetHeadPosition(), element); }
    POSITION AddTail(ARG_TYPE element) { return InsertAfter(GetTailPosition(), element); }
    POSITION InsertBefore(POSITION position, ARG_TYPE element) {
        Node* before = position != nullptr ? At(position) : head_.get();
        return Link(before != nullptr ? before->prev : nullptr, element);
    }
    POSITION InsertAfter(POSITION position, ARG_TYPE element) {
        return Link(position != nullptr ? At(position) : tail_, element);
    }
    TYPE RemoveHead() {
        TYPE data = head_->data;
        RemoveAt(GetHeadPosition());
        return data;
    }
    TYPE RemoveTail() {
        TYPE data = tail_->data;
        RemoveAt(GetTailPosition());
        return data;
    }
    void RemoveAt(POSITION position) {
        Node* node = At(position);
        std::unique_ptr<Node>& owner = node->prev != nullptr ? node->prev->next : head_;
        if (node->next != nullptr) {
            node->next->prev = node->prev;
        } else {
            tail_ = node->prev;
        }
        owner = std::move(node->next);  // frees node
        --count_;
    }
    void RemoveAll() noexcept {
        // Iteratively: a recursive unique_ptr chain would use stack per node.
        while (head_ != nullptr) {
            head_ = std::move(head_->next);
        }
        tail_ = nullptr;
        count_ = 0;
    }
    POSITION Find(ARG_TYPE value, POSITION startAfter = nullptr) const {
        Node* node = startAfter != nullptr ? At(startAfter)->next.get() : head_.get();
        for (; node != nullptr; node = node->next.get()) {
            if (node->data == value) {
                return Pos(node);
            }
        }
        return nullptr;
    }
    POSITION FindIndex(INT_PTR index) const {
        if (index < 0 || index >= count_) {
            return nullptr;
        }
        Node* node = head_.get();
        while (index-- > 0) {
            node = node->next.get();
        }
        return Pos(node);
    }

    void Serialize(CArchive& ar) override {
        CObject::Serialize(ar);
        if (ar.IsStoring()) {
            ar.WriteCount(static_cast<DWORD_PTR>(count_));
            for (Node* node = head_.get(); node != nullptr; node = node->next.get()) {
                SerializeElement(ar, node->data);
            }
        } else {
            for (auto left = ar.ReadCount(); left > 0; --left) {
                TYPE element{};
                SerializeElement(ar, element);
                AddTail(element);
            }
        }
    }

  protected:
    virtual void SerializeElement(CArchive& ar, TYPE& element) {
        SerializeElements(ar, &element, 1);
    }

  private:
    static POSITION Pos(const Node* node) noexcept {
        return reinterpret_cast<POSITION>(const_cast<Node*>(node));
    }
    static Node* At(POSITION position) {
        if (position == nullptr) {
            throw std::invalid_argument("CList: NULL POSITION");
        }
        return reinterpret_cast<Node*>(position);
    }
    POSITION Link(Node* after, ARG_TYPE element) {
        auto node = std::make_unique<Node>();
        node->data = element;
        Node* raw = node.get();
        std::unique_ptr<Node>& owner = after != nullptr ? after->next : head_;
        node->next = std::move(owner);
        node->prev = after;
        if (node->next != nullptr) {
            node->next->prev = raw;
        } else {
            tail_ = raw;
        }
        owner = std::move(node);
        ++count_;
        return Pos(raw);
    }

    std::unique_ptr<Node> head_;
    Node* tail_ = nullptr;
    INT_PTR count_ = 0;
};

namespace xsock::mfc {
using StringListBase = CList<CString, LPCTSTR>;
}  // namespace xsock::mfc

class CStringList : public xsock::mfc::StringListBase {
    DECLARE_SERIAL(CStringList)
};
class CPtrList : public CList<void*, void*> {};

class CObList : public CList<CObject*, CObject*> {
    DECLARE_SERIAL(CObList)
  protected:
    void SerializeElement(CArchive& ar, CObject*& element) override {
        if (ar.IsStoring()) {
            ar << element;
        } else {
            ar >> element;
        }
    }
};

#define AFX_SERIAL_INLINE(class_name)                                                             \
    inline CObject* class_name::CreateObject() {                                                  \
        return std::make_unique<class_name>().release();                                          \
    }                                                                                             \
    inline std::unique_ptr<::xsock::Object> class_name::CreateSerialObject() {                    \
        return std::make_unique<class_name>();                                                    \
    }                                                                                             \
    AFX_RUNTIME_CLASS_DEFINITION(inline, class_name, CObject, 0, &class_name::CreateSerialObject, \
                                 &class_name::CreateObject)
AFX_SERIAL_INLINE(CStringList)
AFX_SERIAL_INLINE(CObList)
