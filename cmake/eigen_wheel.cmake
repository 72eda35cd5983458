# Eigen for a plain `cmake -S . -B build` on a machine that has neither a system Eigen nor the
# cmeel-eigen wheel in its Python: the very wheel pip installs for the Python build, downloaded
# from PyPI (a package registry, pinned by its hash) and unpacked into the build tree. A wheel is
# a zip file, which file(ARCHIVE_EXTRACT) reads; its cmeel.prefix holds Eigen3Config.cmake.
set(ONLINESGD_EIGEN_WHEEL_URL
    "https://files.pythonhosted.org/packages/e8/05/b4adbc7d8eb8d7fa8bdf8ee25ad59b30752b5b117fb8caa099f2d23def54/cmeel_eigen-3.4.1-0-py3-none-any.whl"
    CACHE STRING "cmeel-eigen wheel used when no Eigen 3.4 is installed")
set(ONLINESGD_EIGEN_WHEEL_SHA256 "0ccd7b73fe8a72e2729784253c982e75d1790e0a8c71f302eb5a1fb1dd3a8a90"
    CACHE STRING "SHA-256 of that wheel")

set(_eigen_root "${CMAKE_BINARY_DIR}/_deps/cmeel-eigen")
if(NOT EXISTS "${_eigen_root}/cmeel.prefix/share/eigen3/cmake/Eigen3Config.cmake")
  message(STATUS "Eigen 3.4 not installed: fetching the cmeel-eigen wheel from PyPI")
  file(DOWNLOAD "${ONLINESGD_EIGEN_WHEEL_URL}" "${_eigen_root}.whl"
       EXPECTED_HASH SHA256=${ONLINESGD_EIGEN_WHEEL_SHA256} STATUS _status TLS_VERIFY ON)
  list(GET _status 0 _code)
  if(NOT _code EQUAL 0)
    list(GET _status 1 _why)
    message(FATAL_ERROR "Eigen 3.4 was not found and the cmeel-eigen wheel could not be downloaded "
                        "(${_why}). Install Eigen 3.4 (e.g. libeigen3-dev), or `python -m pip install "
                        "cmeel-eigen`, or pass -DEigen3_DIR=<dir with Eigen3Config.cmake>.")
  endif()
  file(ARCHIVE_EXTRACT INPUT "${_eigen_root}.whl" DESTINATION "${_eigen_root}")
  file(REMOVE "${_eigen_root}.whl")
endif()
find_package(Eigen3 3.4 CONFIG REQUIRED PATHS "${_eigen_root}/cmeel.prefix" NO_DEFAULT_PATH)
