// Declarations only; libFuzzer itself is linked by scripts/fuzz.
#include "cfuzzer.h"
