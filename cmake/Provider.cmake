# wc_add_provider(NAME n CONTRACT c TITLE t SOURCES s... LIBS l...)
# A first-party capability provider: the MODULE library <n>_provider, built with the
# provider SDK (only the ABI's two symbols exported) as
# ${CMAKE_BINARY_DIR}/providers/libwasmcloud_<n>.so, and the custom target <n>_par that
# packs it with `wasmcloud par create` into the signed archive
# ${CMAKE_BINARY_DIR}/providers/<n>.par.gz, which manifests can name by path. Every
# provider of a build is signed with the keys kept in ${CMAKE_BINARY_DIR}/providers/keys
# (generated on first use).
function(wc_add_provider)
  cmake_parse_arguments(ARG "" "NAME;CONTRACT;TITLE" "SOURCES;LIBS" ${ARGN})
  if(NOT TARGET wc_provider_sdk)
    return()
  endif()
  set(target ${ARG_NAME}_provider)
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE ${ARG_LIBS} wc_provider_sdk)
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME wasmcloud_${ARG_NAME}
    LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/providers)
  if(NOT WC_SANITIZE)  # with sanitizers, their runtime comes from the host executable
    target_link_options(${target} PRIVATE -Wl,--no-undefined)
  endif()

  set(par ${CMAKE_BINARY_DIR}/providers/${ARG_NAME}.par.gz)
  add_custom_command(
    OUTPUT ${par}
    COMMAND $<TARGET_FILE:wasmcloud> par create --capid ${ARG_CONTRACT}
            --name ${ARG_TITLE} --vendor wasmcloud-cpp --ver ${PROJECT_VERSION} --rev 1
            --binary $<TARGET_FILE:${target}> -d ${par}
            --keys-dir ${CMAKE_BINARY_DIR}/providers/keys --format json > /dev/null
    DEPENDS ${target} wasmcloud
    COMMENT "Packing providers/${ARG_NAME}.par.gz"
    VERBATIM)
  add_custom_target(${ARG_NAME}_par ALL DEPENDS ${par})
  set_property(GLOBAL APPEND PROPERTY WC_MAIN_JOB_TARGETS ${ARG_NAME}_par)
endfunction()
