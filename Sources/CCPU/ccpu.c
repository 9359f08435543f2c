#include "ccpu.h"
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static uint64_t read_xcr0(void) {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

void ccpu_read(ccpu_info *info) {
    memset(info, 0, sizeof *info);
    unsigned a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return;
    unsigned maxLeaf = a;
    memcpy(info->vendor, &b, 4); memcpy(info->vendor + 4, &d, 4); memcpy(info->vendor + 8, &c, 4);
    __get_cpuid(1, &a, &b, &c, &d);
    unsigned baseFamily = (a >> 8) & 0xf, baseModel = (a >> 4) & 0xf;
    unsigned extFamily = (a >> 20) & 0xff, extModel = (a >> 16) & 0xf;
    info->family = baseFamily == 0xf ? baseFamily + extFamily : baseFamily;
    info->model = (baseFamily == 0x6 || baseFamily == 0xf) ? (extModel << 4) + baseModel : baseModel;
    info->sse3 = (c >> 0) & 1;
    info->fma = (c >> 12) & 1;
    info->avx = (c >> 28) & 1;
    int osxsave = (c >> 27) & 1;
    if (osxsave) {
        uint64_t xcr0 = read_xcr0();
        info->osSavesAVX = (xcr0 & 0x6) == 0x6;
        info->osSavesAVX512 = (xcr0 & 0xe6) == 0xe6;
    }
    if (maxLeaf >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        info->avx2 = (b >> 5) & 1;
        info->avx512f = (b >> 16) & 1;
        info->avx512dq = (b >> 17) & 1;
        info->avx512bw = (b >> 30) & 1;
        info->avx512vl = (b >> 31) & 1;
        __cpuid_count(7, 1, a, b, c, d);
        info->avx512bf16 = (a >> 5) & 1;
    }
    unsigned maxExt = __get_cpuid_max(0x80000000, 0);
    if (maxExt >= 0x80000004) {
        unsigned *out = (unsigned *)info->brand;
        for (unsigned leaf = 0; leaf < 3; leaf++) {
            __get_cpuid(0x80000002 + leaf, &out[leaf * 4], &out[leaf * 4 + 1], &out[leaf * 4 + 2], &out[leaf * 4 + 3]);
        }
        info->brand[48] = 0;
    }
}
#else
void ccpu_read(ccpu_info *info) { memset(info, 0, sizeof *info); }
#endif

#if defined(__x86_64__)
ccpu_isa ccpu_best_isa(void) {
    ccpu_info info;
    ccpu_read(&info);
    if (info.avx512f && info.osSavesAVX512) return ccpu_isa_avx512;
    if (info.avx2 && info.fma && info.osSavesAVX) return ccpu_isa_avx2;
    return ccpu_isa_portable;
}

int ccpu_has_avx512_bf16(void) {
    if (ccpu_best_isa() != ccpu_isa_avx512) return 0;
    ccpu_info info;
    ccpu_read(&info);
    return info.avx512bf16;
}
#else
ccpu_isa ccpu_best_isa(void) { return ccpu_isa_portable; }

int ccpu_has_avx512_bf16(void) { return 0; }
#endif
