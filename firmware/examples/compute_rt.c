// A compute-heavy workload for bench/rt_platform_mips, on an RT core of the platform: the
// kernels of firmware/bench/compute.c (list walk, matrix multiply, state machine, CRC-16),
// freestanding, at the PLL clock. Prints a checksum on its UART, tells the A7 over the
// mailbox (command 0xD0E, data = checksum), then sleeps.
#include "mt3620_rt.h"

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

struct Node { struct Node* next; int32_t value; };
static struct Node nodes[256];

static int32_t list_work(uint32_t seed) {
    for (int i = 0; i < 256; ++i) {
        nodes[i].next = &nodes[(i * 97 + seed) & 255];
        nodes[i].value = (int32_t)((i * 2654435761u) ^ seed);
    }
    int32_t acc = 0;
    struct Node* n = &nodes[seed & 255];
    for (int i = 0; i < 1024; ++i) {
        acc += n->value >> 3;
        n = n->next;
    }
    return acc;
}

#define N 12
static int32_t a[N][N], b[N][N], c[N][N];

static int32_t matrix_work(uint32_t seed) {
    for (int i = 0; i < N; ++i)
        for (int j = 0; j < N; ++j) {
            a[i][j] = (int32_t)((i * 7 + j * 3 + seed) & 0xFF);
            b[i][j] = (int32_t)((i * 5 + j * 11 + seed) & 0xFF);
        }
    int32_t sum = 0;
    for (int i = 0; i < N; ++i)
        for (int j = 0; j < N; ++j) {
            int32_t s = 0;
            for (int k = 0; k < N; ++k) s += a[i][k] * b[k][j];
            c[i][j] = s;
            sum += s;
        }
    return sum;
}

static int state_work(uint32_t seed) {
    static const char text[] = "5012,+3.1415e-2,-77,0x1F,hello,42.0e+7,,-.5,9";
    int st = 0, transitions = 0;
    for (unsigned i = 0; i < sizeof text - 1; ++i) {
        const char ch = (char)(text[i] ^ (char)(seed & 1));
        int next = st;
        if (ch >= '0' && ch <= '9') next = st == 0 ? 1 : st;
        else if (ch == '.' || ch == 'e') next = 2;
        else if (ch == ',') next = 0;
        else next = 3;
        transitions += next != st;
        st = next;
    }
    return transitions + st;
}

int main(void) {
    boost_clock();
    int32_t total = 0;
    uint16_t crc = 0xFFFF;
    for (uint32_t it = 0; it < ITERATIONS; ++it) {
        total += list_work(it) + matrix_work(it) + state_work(it);
        crc = crc16(crc, (uint8_t)total);
        crc = crc16(crc, (uint8_t)(total >> 8));
    }
    uart_puts("compute-rt: total=");
    uart_puthex((uint32_t)total);
    uart_puts(" crc=");
    uart_puthex(crc);
    uart_puts("\r\n");
    mbox_send(MT3620_RT_MBOX_A7, 0xD0Eu, (uint32_t)total);
    return 0;
}
