// expect: long double has no fixed size across platforms
#include <xsock/Archive.h>

void Store(xsock::Archive& ar) {
    ar << 1.0L;
}
