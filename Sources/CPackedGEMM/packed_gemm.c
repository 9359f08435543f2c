#include "packed_gemm.h"

#if defined(__x86_64__)
#include <cpuid.h>

static unsigned long long read_xcr0(void) {
    unsigned eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

packed_gemm_isa packed_gemm_best_isa(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return packed_gemm_portable;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1;
    if (!osxsave || __get_cpuid_max(0, 0) < 7) return packed_gemm_portable;
    unsigned long long xcr0 = read_xcr0();
    __cpuid_count(7, 0, a, b, c, d);
    int avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1;
    if (avx512f && (xcr0 & 0xe6) == 0xe6) return packed_gemm_avx512;
    if (avx2 && fma && (xcr0 & 0x6) == 0x6) return packed_gemm_avx2;
    return packed_gemm_portable;
}

int packed_gemm_has_avx512_bf16(void) {
    if (packed_gemm_best_isa() != packed_gemm_avx512) return 0;
    unsigned a, b, c, d;
    __cpuid_count(7, 1, a, b, c, d);
    return (a >> 5) & 1;
}
#else
packed_gemm_isa packed_gemm_best_isa(void) { return packed_gemm_portable; }

int packed_gemm_has_avx512_bf16(void) { return 0; }
#endif
