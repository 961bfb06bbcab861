# Sanitizer builds (presets asan-ubsan and ubsan). UBSan stops at the first report
# (-fno-sanitize-recover) so that a test fails instead of printing and going on.
# ASan keeps shadow state per stack frame, so src/sys/process.cpp forks children instead of
# running them on a stack in our memory (CLONE_VM); the UBSan-only build keeps those paths.
if(PODRUN_SANITIZE AND PODRUN_UBSAN)
  message(FATAL_ERROR "PODRUN_SANITIZE (ASan+UBSan) and PODRUN_UBSAN (UBSan only): choose one")
endif()
if(PODRUN_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
elseif(PODRUN_UBSAN)
  add_compile_options(-fsanitize=undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=undefined)
endif()
