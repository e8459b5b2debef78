// Transactions: a non-blocking reader tries to load whole messages from the
// bytes that have arrived, rolls back when they run out, and loses nothing.
#include <xsock/Archive.h>

#include "ArchiveTestSupport.h"

#include <boost/test/unit_test.hpp>

namespace {

using namespace xsock;
using xsock::test::Bytes;
using xsock::test::Concat;
using xsock::test::Hex;
using xsock::test::Store;

class Note : public Object {
    XSOCK_DECLARE_SERIAL(Note)
  public:
    void Serialize(Archive& ar) override { ar.Exchange(text, replyTo); }
    std::string text;
    std::shared_ptr<Note> replyTo;
};
XSOCK_IMPLEMENT_SERIAL_NAMED(Note, Object, 1, "CNote")

// One protocol message: plain fields, a container and an object graph with a
// back reference, so a rollback must also forget object indices.
struct Message {
    std::uint32_t sequence = 0;
    std::string sender;
    std::vector<double> values;
    std::shared_ptr<Note> first;
    std::shared_ptr<Note> second;
};

Archive& operator<<(Archive& ar, const Message& m) {
    return ar << m.sequence << m.sender << m.values << m.first << m.second;
}
Archive& operator>>(Archive& ar, Message& m) {
    return ar >> m.sequence >> m.sender >> m.values >> m.first >> m.second;
}

Message MakeMessage(std::uint32_t sequence, std::size_t values = 3) {
    Message m;
    m.sequence = sequence;
    m.sender = "peer-" + std::to_string(sequence);
    for (std::size_t i = 0; i < values; ++i) {
        m.values.push_back(static_cast<double>(i) / 4);
    }
    m.first = std::make_shared<Note>();
    m.first->text = "hello";
    m.second = std::make_shared<Note>();
    m.second->text = "re: hello";
    m.second->replyTo = m.first;
    return m;
}

void CheckSame(const Message& got, const Message& want) {
    BOOST_TEST(got.sequence == want.sequence);
    BOOST_TEST(got.sender == want.sender);
    BOOST_TEST(got.values == want.values);
    BOOST_REQUIRE(got.first && got.second);
    BOOST_TEST(got.first->text == want.first->text);
    BOOST_TEST(got.second->replyTo == got.first);
}

Bytes Encode(const Message& m) {
    return Store([&](Archive& ar) { ar << m; });
}

// A loading archive fed through a MemFile, as an OnReceive handler would use it.
struct Receiver {
    explicit Receiver(std::size_t bufferSize = 4096) : archive(inbox, Archive::load, bufferSize) {}

    void Receive(const std::uint8_t* data, std::size_t size) { inbox.Append(data, size); }

    // Loads every complete message that has arrived.
    std::vector<Message> Drain() {
        std::vector<Message> done;
        Message m;
        while (archive.TryLoad([&] { archive >> m; })) {
            done.push_back(m);
        }
        return done;
    }

    MemFile inbox;
    Archive archive;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(ArchiveTransaction)

BOOST_AUTO_TEST_CASE(AMessageSplitAtEveryByteBoundaryArrivesWhole) {
    const Message sent = MakeMessage(7);
    const Bytes bytes = Encode(sent);
    for (std::size_t split = 0; split <= bytes.size(); ++split) {
        BOOST_TEST_CONTEXT("split at " << split << " of " << bytes.size()) {
            Receiver receiver;
            receiver.Receive(bytes.data(), split);
            const auto early = receiver.Drain();
            BOOST_TEST(early.size() == (split == bytes.size() ? 1u : 0u));
            receiver.Receive(bytes.data() + split, bytes.size() - split);
            auto late = receiver.Drain();
            if (split != bytes.size()) {
                BOOST_REQUIRE_EQUAL(late.size(), 1u);
                CheckSame(late[0], sent);
            }
            BOOST_TEST(receiver.archive.IsBufferEmpty());
            BOOST_TEST(!receiver.archive.IsInTransaction());
        }
    }
}

BOOST_AUTO_TEST_CASE(OneMessageObjectKeptAcrossFailedTriesEndsWhole) {
    // A handler that keeps one Message: a failed TryLoad may have filled part
    // of it in place (its vector included), and the next try loads it whole.
    const Message sent = MakeMessage(7);
    const Bytes bytes = Encode(sent);
    for (std::size_t split = 0; split < bytes.size(); ++split) {
        BOOST_TEST_CONTEXT("split at " << split << " of " << bytes.size()) {
            Receiver receiver;
            Message kept = MakeMessage(99, 60);  // longer than what arrives
            receiver.Receive(bytes.data(), split);
            BOOST_TEST(!receiver.archive.TryLoad([&] { receiver.archive >> kept; }));
            receiver.Receive(bytes.data() + split, bytes.size() - split);
            BOOST_REQUIRE(receiver.archive.TryLoad([&] { receiver.archive >> kept; }));
            CheckSame(kept, sent);
        }
    }
}

BOOST_AUTO_TEST_CASE(MessagesArrivingOneByteAtATimeEachLoadExactlyOnce) {
    std::vector<Message> sent;
    Bytes stream;
    for (std::uint32_t i = 0; i < 3; ++i) {
        sent.push_back(MakeMessage(i, std::size_t{40} * i));
    }
    // One archive for the whole stream: later messages refer to classes by index.
    stream = Store([&](Archive& ar) {
        for (const Message& m : sent) {
            ar << m;
        }
    });
    Receiver receiver(64);  // smaller than one message: the buffer has to grow
    std::vector<Message> got;
    for (std::uint8_t byte : stream) {
        receiver.Receive(&byte, 1);
        for (Message& m : receiver.Drain()) {
            got.push_back(std::move(m));
        }
    }
    BOOST_REQUIRE_EQUAL(got.size(), sent.size());
    for (std::size_t i = 0; i < sent.size(); ++i) {
        CheckSame(got[i], sent[i]);
    }
}

BOOST_AUTO_TEST_CASE(MessagesFromOneArchivePerMessageLoadWithOneArchivePerMessage) {
    // Each message was written by its own Archive, so each starts its class and
    // object indices afresh; the reader mirrors that. Closing a reading archive
    // gives the bytes it read ahead back to the inbox.
    const Message a = MakeMessage(1);
    const Message b = MakeMessage(2);
    const Bytes first = Encode(a);
    const Bytes second = Encode(b);
    MemFile inbox;
    std::vector<Message> got;
    auto loadOne = [&] {
        Archive ar(inbox, Archive::load);
        Message m;
        if (ar.TryLoad([&] { ar >> m; })) {
            got.push_back(m);
        }
    };
    const Bytes arrival = Concat({first, Bytes(second.begin(), second.begin() + 5)});
    inbox.Append(arrival.data(), arrival.size());
    loadOne();
    loadOne();
    BOOST_REQUIRE_EQUAL(got.size(), 1u);
    CheckSame(got[0], a);
    BOOST_TEST(inbox.Unread() == 5u);
    inbox.Append(second.data() + 5, second.size() - 5);
    loadOne();
    BOOST_REQUIRE_EQUAL(got.size(), 2u);
    CheckSame(got[1], b);
    BOOST_TEST(inbox.Unread() == 0u);
}

BOOST_AUTO_TEST_CASE(RollbackRewindsToTheStartAndCommitKeepsTheProgress) {
    MemFile inbox;
    const Bytes bytes = Store([](Archive& ar) { ar << std::int32_t{5} << std::string("xy"); });
    inbox.Append(bytes.data(), bytes.size());
    Archive ar(inbox, Archive::load);
    std::int32_t number = 0;
    std::string text;
    ar.StartTransaction();
    ar >> number;
    ar.StartTransaction();  // nested
    ar >> text;
    ar.RollbackTransaction();
    BOOST_TEST(ar.IsInTransaction());
    text.clear();
    ar >> text;  // the inner rollback gave the string back
    BOOST_TEST(text == "xy");
    ar.RollbackTransaction();  // the outer one gives everything back
    BOOST_TEST(!ar.IsInTransaction());
    number = 0;
    text.clear();
    ar.StartTransaction();
    ar >> number >> text;
    ar.CommitTransaction();
    BOOST_TEST(number == 5);
    BOOST_TEST(text == "xy");
    BOOST_TEST(!ar.IsInTransaction());
    BOOST_TEST(ar.IsBufferEmpty());
}

BOOST_AUTO_TEST_CASE(RunningOutOfDataInATransactionThrowsEndOfFileAndKeepsTheBytes) {
    MemFile inbox;
    const Bytes bytes = Store([](Archive& ar) { ar << std::uint64_t{0x1122334455667788}; });
    inbox.Append(bytes.data(), 3);
    Archive ar(inbox, Archive::load);
    std::uint64_t value = 0;
    ar.StartTransaction();
    try {
        ar >> value;
        BOOST_FAIL("three bytes cannot make a uint64_t");
    } catch (const ArchiveException& e) {
        BOOST_TEST(e.m_cause == ArchiveException::endOfFile);
    }
    ar.RollbackTransaction();
    inbox.Append(bytes.data() + 3, bytes.size() - 3);
    ar.StartTransaction();
    ar >> value;
    ar.CommitTransaction();
    BOOST_TEST(value == 0x1122334455667788u);
}

BOOST_AUTO_TEST_CASE(ABadMessageAbortsTheTransactionAndLeavesTheStreamRefusing) {
    Receiver receiver;
    // An unknown class in place of the first Note.
    const Bytes bad = Concat({Store([](Archive& ar) {
                                  ar << std::uint32_t{1} << std::string("x")
                                     << std::vector<double>{};
                              }),
                              Hex("FFFF 0100 0300 426164")});
    receiver.Receive(bad.data(), bad.size());
    try {
        receiver.Drain();
        BOOST_FAIL("an unknown class must not pass");
    } catch (const ArchiveException& e) {
        BOOST_TEST(e.m_cause == ArchiveException::badClass);
    }
    BOOST_TEST(!receiver.archive.IsInTransaction());
    const Bytes good = Encode(MakeMessage(2));
    receiver.Receive(good.data(), good.size());
    try {
        receiver.Drain();
        BOOST_FAIL("an aborted stream must keep refusing");
    } catch (const ArchiveException& e) {
        BOOST_TEST(e.m_cause == ArchiveException::genericException);
    }
}

BOOST_AUTO_TEST_CASE(TransactionCallsOutOfPlaceAreErrors) {
    MemFile file;
    Archive loading(file, Archive::load);
    BOOST_CHECK_THROW(loading.CommitTransaction(), ArchiveException);
    BOOST_CHECK_THROW(loading.RollbackTransaction(), ArchiveException);
    Archive storing(file, Archive::store);
    try {
        storing.StartTransaction();
        BOOST_FAIL("transactions are for loading");
    } catch (const ArchiveException& e) {
        BOOST_TEST(e.m_cause == ArchiveException::writeOnly);
    }
}

BOOST_AUTO_TEST_CASE(ALargeMessageTrickleGrowsTheBufferAndThenShrinksItBack) {
    const Message big = MakeMessage(9, 20000);  // about 160 KB of doubles
    // One sending archive for both messages, as the one receiving archive
    // expects: the second message's objects continue the first one's indices.
    std::size_t split = 0;
    const Bytes both = Store([&](Archive& ar) {
        ar << big;
        ar.Flush();
        split = ar.GetFile()->GetLength();
        ar << MakeMessage(10);
    });
    const Bytes bytes(both.begin(), both.begin() + static_cast<std::ptrdiff_t>(split));
    const Bytes small(both.begin() + static_cast<std::ptrdiff_t>(split), both.end());
    Receiver receiver(256);
    std::size_t loaded = 0;
    for (std::size_t at = 0; at < bytes.size(); at += 1000) {
        const std::size_t n = std::min<std::size_t>(1000, bytes.size() - at);
        receiver.Receive(bytes.data() + at, n);
        for (const Message& m : receiver.Drain()) {
            CheckSame(m, big);
            ++loaded;
        }
    }
    BOOST_TEST(loaded == 1u);
    receiver.Receive(small.data(), small.size());
    BOOST_TEST(receiver.Drain().size() == 1u);
}

BOOST_AUTO_TEST_CASE(CloseGivesUncommittedBytesBackToTheFile) {
    MemFile inbox;
    const Bytes bytes = Store([](Archive& ar) { ar << std::int32_t{1} << std::int32_t{2}; });
    inbox.Append(bytes.data(), bytes.size());
    {
        Archive ar(inbox, Archive::load);
        std::int32_t value = 0;
        ar >> value;
        ar.StartTransaction();
        ar >> value;
        ar.Close();
    }
    BOOST_TEST(inbox.Unread() == 4u);
}

BOOST_AUTO_TEST_SUITE_END()
