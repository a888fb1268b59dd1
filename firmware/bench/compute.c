// A compute-heavy workload for bench/iss_mips, in the spirit of CoreMark's kernels: linked
// list walking, integer matrix multiply, a state machine over a string, CRC-16, and a sort.
// It prints one checksum so the ISS and QEMU runs can be seen to do the same work.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef ITERATIONS
#define ITERATIONS 400
#endif

static uint16_t crc16(uint16_t crc, uint8_t data) {
    for (int i = 0; i < 8; ++i) {
        const int mix = (crc ^ data) & 1;
        crc >>= 1;
        if (mix) crc ^= 0xA001;
        data >>= 1;
    }
    return crc;
}

struct Node { struct Node* next; int32_t value; uint16_t idx; };
static struct Node nodes[256];

static int32_t list_work(uint32_t seed) {
    for (int i = 0; i < 256; ++i) {
        nodes[i].next = &nodes[(i * 97 + seed) & 255];
        nodes[i].value = (int32_t)((i * 2654435761u) ^ seed);
        nodes[i].idx = (uint16_t)i;
    }
    int32_t acc = 0;
    const struct Node* n = &nodes[seed & 255];
    for (int k = 0; k < 2048; ++k) {
        acc += n->value >> (k & 7);
        if (n->value & 1) acc ^= n->idx;
        n = n->next;
    }
    return acc;
}

#define N 16
static int16_t ma[N][N], mb[N][N];
static int32_t mc[N][N];

static int32_t matrix_work(int16_t seed) {
    for (int i = 0; i < N; ++i)
        for (int j = 0; j < N; ++j) {
            ma[i][j] = (int16_t)(seed + i * j);
            mb[i][j] = (int16_t)(seed - i + 3 * j);
        }
    int32_t sum = 0;
    for (int i = 0; i < N; ++i)
        for (int j = 0; j < N; ++j) {
            int32_t acc = 0;
            for (int k = 0; k < N; ++k) acc += ma[i][k] * mb[k][j];
            mc[i][j] = acc;
            sum += acc & 0xFFFF;
        }
    return sum;
}

static int state_machine(const char* s) {
    enum { START, INT, FLOAT, EXP, INVALID } st = START;
    int transitions = 0;
    for (; *s; ++s) {
        const char c = *s;
        switch (st) {
        case START: st = (c >= '0' && c <= '9') ? INT : (c == '.' ? FLOAT : INVALID); break;
        case INT: st = (c >= '0' && c <= '9') ? INT : (c == '.' ? FLOAT : (c == 'e' ? EXP : INVALID)); break;
        case FLOAT: st = (c >= '0' && c <= '9') ? FLOAT : (c == 'e' ? EXP : INVALID); break;
        case EXP: st = ((c >= '0' && c <= '9') || c == '-') ? EXP : INVALID; break;
        default: if (c == ',') st = START; break;
        }
        if (c == ',') { st = START; ++transitions; }
    }
    return transitions + (int)st;
}

static int cmp(const void* a, const void* b) { return *(const int32_t*)a - *(const int32_t*)b; }

int main(void) {
    static const char text[] = "123,4.56,7e-8,x9,0.5e3,,42,3.14159,2e10,abc,1e-3,99999,.5,6.,7e,8e-";
    static int32_t arr[200];
    uint16_t crc = 0xFFFF;
    int32_t total = 0;
    for (int it = 0; it < ITERATIONS; ++it) {
        total += list_work((uint32_t)it);
        total += matrix_work((int16_t)it);
        total += state_machine(text);
        for (int i = 0; i < 200; ++i) arr[i] = (int32_t)((i * 7919u + (uint32_t)it * 104729u) % 10007u);
        qsort(arr, 200, sizeof arr[0], cmp);
        total += arr[it % 200];
        for (const char* p = text; *p; ++p) crc = crc16(crc, (uint8_t)*p);
    }
    printf("compute: total=%ld crc=%04x\n", (long)total, crc);
    return 0;
}
