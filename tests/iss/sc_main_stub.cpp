// SystemC's library calls sc_main (extern "C"); these tests drive the kernel themselves.
extern "C" int sc_main(int, char**) { return 0; }
