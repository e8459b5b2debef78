// expect: no match for .*operator<<|invalid operands to binary expression
// A pointer to anything but an Object must not silently become a bool.
#include <xsock/Archive.h>

void Store(xsock::Archive& ar) {
    int value = 0;
    ar << &value;
}
