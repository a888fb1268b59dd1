// The one Catch2 main for every test executable. SystemC wants an sc_main symbol even though
// our tests drive the kernel themselves with sc_start.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

extern "C" int sc_main(int, char**) { return 0; }
