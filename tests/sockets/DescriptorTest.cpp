// xsock::Descriptor closes what it owns on every path, and only that.
#include <xsock/Descriptor.h>

#include <fcntl.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <utility>

namespace {

bool IsOpen(int fd) {
    return ::fcntl(fd, F_GETFD) != -1;
}

int OpenOne() {
    int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    BOOST_REQUIRE_GE(fd, 0);
    return fd;
}

}  // namespace

BOOST_AUTO_TEST_CASE(ClosesWhenDestroyed) {
    int fd = OpenOne();
    {
        xsock::Descriptor owner(fd);
        BOOST_CHECK(owner.IsOpen());
        BOOST_CHECK_EQUAL(owner.Get(), fd);
    }
    BOOST_CHECK(!IsOpen(fd));
}

BOOST_AUTO_TEST_CASE(MoveHandsOverWithoutClosing) {
    int fd = OpenOne();
    xsock::Descriptor first(fd);
    xsock::Descriptor second(std::move(first));
    BOOST_CHECK(
        !first.IsOpen());  // NOLINT(bugprone-use-after-move): the moved-from state is the point
    BOOST_CHECK_EQUAL(second.Get(), fd);
    BOOST_CHECK(IsOpen(fd));

    int other = OpenOne();
    xsock::Descriptor third(other);
    third = std::move(second);
    BOOST_CHECK(!IsOpen(other));  // the descriptor it held before is closed
    BOOST_CHECK_EQUAL(third.Get(), fd);
    BOOST_CHECK(IsOpen(fd));
}

BOOST_AUTO_TEST_CASE(ReleaseGivesUpWithoutClosing) {
    int fd = OpenOne();
    {
        xsock::Descriptor owner(fd);
        BOOST_CHECK_EQUAL(owner.Release(), fd);
        BOOST_CHECK(!owner);
    }
    BOOST_CHECK(IsOpen(fd));
    ::close(fd);
}

BOOST_AUTO_TEST_CASE(ResetClosesTheOldAndHoldsTheNew) {
    int first = OpenOne();
    int second = OpenOne();
    xsock::Descriptor owner(first);
    owner.Reset(second);
    BOOST_CHECK(!IsOpen(first));
    BOOST_CHECK(IsOpen(second));
    owner.Reset();
    BOOST_CHECK(!IsOpen(second));
    BOOST_CHECK(!owner.IsOpen());
}
