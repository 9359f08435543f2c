#ifndef LMTOOL_CFUZZER_H
#define LMTOOL_CFUZZER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's entry for programs with their own main (libclang_rt.fuzzer_no_main,
/// linked only in fuzzing builds: see scripts/fuzz).
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
