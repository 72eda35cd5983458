#pragma once
namespace onlinesgd {
/// The package version compiled into the core (from pyproject.toml via CMake).
const char* version();
}  // namespace onlinesgd
