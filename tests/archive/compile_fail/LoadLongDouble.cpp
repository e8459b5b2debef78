// expect: long double has no fixed size across platforms
#include <xsock/Archive.h>

void Load(xsock::Archive& ar) {
    long double value = 0;
    ar >> value;
}
