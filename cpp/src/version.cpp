#include "onlinesgd/version.hpp"

namespace onlinesgd {
const char* version() { return ONLINESGD_VERSION; }
}  // namespace onlinesgd
