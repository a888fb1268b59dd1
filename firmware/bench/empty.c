// Does nothing: bench/iss_mips runs it on QEMU to measure QEMU's start-up time.
int main(void) { return 0; }
