# Installation layout (Debian's) and the .deb that CPack builds from it.
#   bin/podrun, libexec/podrun/podrun-pause (podrun looks there: src/sandbox/sandbox.cpp),
#   share/man/man1 (docs/man), completions where Debian's shells look for them,
#   share/doc/podrun/{copyright,examples}.
install(FILES ${PROJECT_SOURCE_DIR}/completions/podrun.bash
  DESTINATION share/bash-completion/completions RENAME podrun)
install(FILES ${PROJECT_SOURCE_DIR}/completions/_podrun DESTINATION share/zsh/vendor-completions)
install(FILES ${PROJECT_SOURCE_DIR}/completions/podrun.fish DESTINATION share/fish/vendor_completions.d)
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION share/doc/podrun RENAME copyright)
file(GLOB PODRUN_EXAMPLES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/examples/*.json ${PROJECT_SOURCE_DIR}/examples/*.yaml)
install(FILES ${PODRUN_EXAMPLES} DESTINATION share/doc/podrun/examples)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME podrun)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "daemonless Kubernetes pod runtime for one Linux machine")
# The summary is the Description's first line; CPack indents the rest as Debian wants.
set(CPACK_PACKAGE_DESCRIPTION "podrun up reads a Kubernetes v1 Pod (JSON or YAML), starts a tiny static pause as
PID 1 of fresh pid/net/ipc/uts/mount namespaces, joins every container to them, runs init
containers, streams their output, applies the restart policy, and leaves nothing behind.
No cluster, no daemon: ps, logs, exec, inspect, tree and down read the pod's state.")
if(NOT CPACK_DEBIAN_PACKAGE_MAINTAINER)
  set(CPACK_DEBIAN_PACKAGE_MAINTAINER "podrun maintainers <maintainers@users.noreply.r-seed-a4d2704a.example>")
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # podrun_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The runtime libraries, found by dpkg-shlibdeps: none for the default -static-pie podrun
# (and podrun-pause is static musl); with -DPODRUN_STATIC=OFF the packages of libc,
# libstdc++, spdlog, fmt and yaml-cpp. Nothing is declared by hand, so the list cannot go stale.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# passt gives pods outbound network (pasta mode); containers-common ships the seccomp
# profile RuntimeDefault uses (/usr/share/containers/seccomp.json). podrun runs without
# either, with those features reported missing (podrun doctor).
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "passt, containernetworking-plugins, golang-github-containers-common")
set(CPACK_STRIP_FILES ON)
include(CPack)
