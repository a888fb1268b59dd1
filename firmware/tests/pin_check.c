// A PIN check, the classic target of a voltage-glitch attack: one skipped instruction in the
// right place turns "denied" into "granted". Used by the glitch-campaign test of tests/iss.
#include <stdio.h>

static const char secret[] = "4711";

__attribute__((noinline)) static int check_pin(const volatile char* entered) {
    int ok = 1;
    for (int i = 0; i < 4; ++i)
        if (entered[i] != secret[i]) ok = 0;
    return ok;
}

int main(void) {
    static volatile char entered[] = "1234";
    if (check_pin(entered)) {
        printf("access granted\n");
        return 0;
    }
    printf("access denied\n");
    return 1;
}
