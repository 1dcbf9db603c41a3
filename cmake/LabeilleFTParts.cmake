# labeille_add_part(<part> [ALIAS <name>] SOURCES <src>... [PUBLIC <dep>...] [PRIVATE <dep>...])
#
# One part's library, the same way for every part: a static library labeille_<part>
# built from SOURCES, its alias LabeilleFT::<name> (<part> unless ALIAS says otherwise:
# parts whose executable takes the plain name use <part>_lib), the part's include/
# directory public in the build tree, and the given PUBLIC and PRIVATE dependencies plus
# our warning flags (labeille_ft_options).
function(labeille_add_part part)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "ALIAS" "SOURCES;PUBLIC;PRIVATE")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "labeille_add_part(${part}): unknown arguments ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "labeille_add_part(${part}): SOURCES is required")
  endif()
  if(NOT arg_ALIAS)
    set(arg_ALIAS ${part})
  endif()
  add_library(labeille_${part} STATIC ${arg_SOURCES})
  add_library(LabeilleFT::${arg_ALIAS} ALIAS labeille_${part})
  target_include_directories(labeille_${part} PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>)
  target_link_libraries(labeille_${part} PUBLIC ${arg_PUBLIC} PRIVATE ${arg_PRIVATE} labeille_ft_options)
endfunction()
