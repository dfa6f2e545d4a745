/* Test-only stand-in for Windows' bcryptprimitives.dll under Wine 8 (Debian 12), which lacks
 * it. Rust's standard library asks it for random bytes (ProcessPrng); this answers with
 * RtlGenRandom (advapi32's SystemFunction036), which Wine has. Real Windows 10/11 ship the
 * real DLL; this file is never installed there. Built by scripts/windows.sh with MinGW. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
