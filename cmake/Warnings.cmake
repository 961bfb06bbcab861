# One place for compiler warnings; CI adds -Werror through PODRUN_WERROR.
function(podrun_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wnon-virtual-dtor
    -Wcast-align -Wunused -Woverloaded-virtual -Wnull-dereference -Wformat=2)
  if(PODRUN_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
