#ifndef AUTHD_CFUZZERDRIVER_H
#define AUTHD_CFUZZERDRIVER_H

#include <stddef.h>
#include <stdint.h>

// libFuzzer's entry for programs with their own main (compiler-rt FuzzerInterface.h). SwiftPM
// links every executable with main=<Target>_main, so the fuzz targets define that and call this
// instead of relying on libFuzzer's main.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*test_one_input)(const uint8_t *data, size_t size));

#endif
