# wc_add_wasm_guest(TARGET name SOURCES a.c... OUTPUT path.wasm [EXPORTS sym...])
# Compiles C sources into a freestanding wasm32 module with clang and wasm-ld (no libc),
# exporting memory and the listed symbols. Used for example actors and test guests.
find_program(WC_CLANG NAMES clang-14 clang REQUIRED)
find_program(WC_WAT2WASM NAMES wat2wasm REQUIRED)

function(wc_add_wasm_guest)
  cmake_parse_arguments(ARG "" "TARGET;OUTPUT" "SOURCES;EXPORTS;INCLUDES" ${ARGN})
  set(flags --target=wasm32 -O2 -nostdlib -ffreestanding -Wall -Wextra -Werror
            -Wl,--no-entry -Wl,--export-dynamic -Wl,--strip-debug)
  foreach(inc ${ARG_INCLUDES})
    list(APPEND flags -I${inc})
  endforeach()
  foreach(sym ${ARG_EXPORTS})
    list(APPEND flags -Wl,--export=${sym})
  endforeach()
  set(srcs "")
  foreach(s ${ARG_SOURCES})
    list(APPEND srcs ${CMAKE_CURRENT_SOURCE_DIR}/${s})
  endforeach()
  add_custom_command(
    OUTPUT ${ARG_OUTPUT}
    COMMAND ${WC_CLANG} ${flags} -o ${ARG_OUTPUT} ${srcs}
    DEPENDS ${srcs}
    COMMENT "clang --target=wasm32 ${ARG_TARGET}"
    VERBATIM)
  add_custom_target(${ARG_TARGET} ALL DEPENDS ${ARG_OUTPUT})
endfunction()

# wc_add_wat(TARGET name SOURCE x.wat OUTPUT path.wasm): text format to binary.
function(wc_add_wat)
  cmake_parse_arguments(ARG "" "TARGET;SOURCE;OUTPUT" "" ${ARGN})
  add_custom_command(
    OUTPUT ${ARG_OUTPUT}
    COMMAND ${WC_WAT2WASM} ${CMAKE_CURRENT_SOURCE_DIR}/${ARG_SOURCE} -o ${ARG_OUTPUT}
    DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${ARG_SOURCE}
    VERBATIM)
  add_custom_target(${ARG_TARGET} ALL DEPENDS ${ARG_OUTPUT})
endfunction()
