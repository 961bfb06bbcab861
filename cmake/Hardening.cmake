# Hardening of the release build (presets release and ci), the set Debian's dpkg-buildflags
# gives with hardening=+all: _FORTIFY_SOURCE (3 where compiler and C library support it:
# gcc >= 12 with glibc >= 2.34 checks sizes known only at run time too; else 2), the strong
# stack protector, stack clash protection, CET branch protection, full RELRO (-z relro
# -z now: the GOT is read-only after start and nothing is bound lazily) and PIE. podrun-pause
# is built apart (pause/CMakeLists.txt) with flags of its own, on purpose.
if(NOT PODRUN_HARDEN)
  return()
endif()
include(CheckCSourceCompiles)
include(CheckCCompilerFlag)
set(CMAKE_REQUIRED_FLAGS "-O2 -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3")
check_c_source_compiles("#include <string.h>
#if !defined(__USE_FORTIFY_LEVEL) || __USE_FORTIFY_LEVEL < 3
#error no _FORTIFY_SOURCE=3
#endif
int main(void) { return 0; }" PODRUN_HAVE_FORTIFY3)
unset(CMAKE_REQUIRED_FLAGS)
if(PODRUN_HAVE_FORTIFY3)
  set(PODRUN_FORTIFY_LEVEL 3)
else()
  set(PODRUN_FORTIFY_LEVEL 2)
  message(STATUS "podrun: _FORTIFY_SOURCE=3 unsupported here, using 2")
endif()
# _FORTIFY_SOURCE needs optimization; a Debug build gets the rest.
add_compile_options($<$<NOT:$<CONFIG:Debug>>:-U_FORTIFY_SOURCE>
                    $<$<NOT:$<CONFIG:Debug>>:-D_FORTIFY_SOURCE=${PODRUN_FORTIFY_LEVEL}>
                    -fstack-protector-strong)
foreach(flag -fstack-clash-protection -fcf-protection)
  string(MAKE_C_IDENTIFIER "PODRUN_HAVE${flag}" var)
  check_c_compiler_flag(${flag} ${var})
  if(${var})
    add_compile_options(${flag})
  endif()
endforeach()
add_link_options(-Wl,-z,relro -Wl,-z,now)
# PIE: the static podrun is linked -static-pie already (src/CMakeLists.txt), and a later
# -pie would turn it back into a dynamic executable; other builds ask CMake for PIE.
if(NOT PODRUN_STATIC)
  set(CMAKE_POSITION_INDEPENDENT_CODE ON)
  include(CheckPIESupported)
  check_pie_supported()
endif()
