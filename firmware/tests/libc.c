// Differential test: a tour of picolibc, which exercises most of the compiler's code shapes:
// float and double formatting and parsing (soft double precision: long integer sequences),
// the math library, the allocator, setjmp/longjmp, string and character functions.
#include <ctype.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static jmp_buf env;
static volatile int bottom = 0;
static int depth(int n) {
    if (n == bottom) longjmp(env, 42);
    if (n < 0) return 0;
    return depth(n - 1) + 1;
}

int main(void) {
    printf("%f %e %g %.3f %.10g\n", 3.14159265358979, 6.02214076e23, 1e-5, -2.5, 1.0 / 3.0);
    printf("%8.3f|%-10.2e|%+g|%a\n", (double)1234.5678f, 0.000123456, 100.0, 1.5);
    const char* numbers[] = {"3.25", "-1e10", "0x1p-3", "2.2250738585072014e-308", "inf", "12abc"};
    for (unsigned i = 0; i < sizeof numbers / sizeof numbers[0]; ++i) {
        char* end;
        const double d = strtod(numbers[i], &end);
        printf("strtod(%s) = %.17g rest '%s'\n", numbers[i], d, end);
    }
    printf("strtol %ld %lu %ld\n", strtol("-0x7fffffff", NULL, 16), strtoul("4294967295", NULL, 10), strtol("777", NULL, 8));
    double acc = 0;
    for (int i = 1; i <= 50; ++i) acc += sin(i * 0.1) * exp(-i * 0.01) + log((double)i) / sqrt((double)i);
    printf("double math %.15g\n", acc);
    float facc = 0;
    for (int i = 1; i <= 50; ++i) facc += sinf(i * 0.1f) * expf(-i * 0.01f) + powf((float)i, 0.3f) - atan2f((float)i, 7.0f);
    printf("float math %.8g\n", (double)facc);
    printf("rounding %g %g %g %g %ld\n", floor(-2.5), ceil(-2.5), round(-2.5), trunc(-2.5), lround(2.5));
    printf("fmod %g remainder %g hypot %g cbrt %g\n", fmod(10.5, 3.0), remainder(10.5, 3.0), hypot(3.0, 4.0), cbrt(-27.0));

    // The allocator: many sizes, freed out of order.
    void* blocks[40];
    unsigned sum = 0;
    for (int i = 0; i < 40; ++i) {
        blocks[i] = malloc((size_t)(i * 37 % 200 + 1));
        memset(blocks[i], i, (size_t)(i * 37 % 200 + 1));
    }
    for (int i = 0; i < 40; i += 3) { free(blocks[i]); blocks[i] = NULL; }
    for (int i = 0; i < 40; ++i) if (blocks[i]) sum += ((unsigned char*)blocks[i])[0];
    char* grown = realloc(NULL, 10);
    strcpy(grown, "realloc");
    grown = realloc(grown, 1000);
    printf("malloc sum %u %s\n", sum, grown);
    free(grown);
    for (int i = 0; i < 40; ++i) free(blocks[i]);

    const int r = setjmp(env);
    if (r == 0) depth(20);
    printf("longjmp returned %d\n", r);

    char text[] = "The Quick brown FOX, jumps over 13 lazy dogs!";
    int upper = 0, digits = 0, punct = 0;
    for (char* p = text; *p; ++p) {
        upper += isupper((unsigned char)*p) != 0;
        digits += isdigit((unsigned char)*p) != 0;
        punct += ispunct((unsigned char)*p) != 0;
        *p = (char)tolower((unsigned char)*p);
    }
    char* tok = strtok(text, " ,!");
    int words = 0;
    while (tok) { ++words; tok = strtok(NULL, " ,!"); }
    printf("ctype %d %d %d words %d strstr %s\n", upper, digits, punct, words, strstr("needle in haystack", "hay"));
    char buf[64];
    snprintf(buf, sizeof buf, "%05d|%x|%o|%c|%10s|%-3s|", 42, 255, 8, 'z', "right", "l");
    printf("%s %d\n", buf, (int)strlen(buf));
    return 7;  // a non-zero exit code passes through too
}
