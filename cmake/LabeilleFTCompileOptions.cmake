# Warning and sanitizer flags live in INTERFACE targets: our targets link them, nothing
# global leaks into a project that add_subdirectory()s us.
add_library(labeille_ft_options INTERFACE)
target_compile_options(labeille_ft_options INTERFACE
  $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor>
  $<$<AND:$<BOOL:${LABEILLE_FT_DEVELOPER_MODE}>,$<CXX_COMPILER_ID:GNU,Clang>>:-Werror>
  # GCC 12 reports impossible std::string overlaps at -O3 (GCC bug 105329).
  $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-restrict>)
if(LABEILLE_FT_SANITIZE)
  list(JOIN LABEILLE_FT_SANITIZE "," _labeille_san)
  target_compile_options(labeille_ft_options INTERFACE -fsanitize=${_labeille_san} -fno-omit-frame-pointer)
  target_link_options(labeille_ft_options INTERFACE -fsanitize=${_labeille_san})
endif()
