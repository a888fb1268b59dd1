// The register-bank helper, read like a datasheet: reset values, access kinds, byte lanes,
// and what an access the device does not define turns into.
#include <catch2/catch.hpp>

#include "models/base/register_bank.h"

using namespace svp;

namespace {
struct Access32 {
    tlm::tlm_generic_payload tx;
    std::uint32_t data = 0;
    tlm::tlm_response_status go(RegisterBank& bank, tlm::tlm_command cmd, std::uint64_t offset, unsigned length = 4,
                                std::uint32_t value = 0) {
        data = value;
        tx.set_command(cmd);
        tx.set_address(offset);
        tx.set_data_ptr(reinterpret_cast<unsigned char*>(&data));
        tx.set_data_length(length);
        tx.set_streaming_width(length);
        tx.set_byte_enable_ptr(nullptr);
        tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
        bank.access(tx);
        return tx.get_response_status();
    }
};
}  // namespace

TEST_CASE("registers read their reset value and return to it on reset") {
    RegisterBank bank("dev");
    bank.add("CTRL", 0x00, 0x1234);
    Access32 a;
    REQUIRE(a.go(bank, tlm::TLM_READ_COMMAND, 0x00) == tlm::TLM_OK_RESPONSE);
    CHECK(a.data == 0x1234);
    a.go(bank, tlm::TLM_WRITE_COMMAND, 0x00, 4, 0xCAFE);
    a.go(bank, tlm::TLM_READ_COMMAND, 0x00);
    CHECK(a.data == 0xCAFE);
    bank.reset();
    a.go(bank, tlm::TLM_READ_COMMAND, 0x00);
    CHECK(a.data == 0x1234);
}

TEST_CASE("a write to a read-only register is refused with an error response and logged") {
    RegisterBank bank("dev");
    bank.add("STATUS", 0x04, 0x7, Access::ro);
    Access32 a;
    CHECK(a.go(bank, tlm::TLM_WRITE_COMMAND, 0x04, 4, 0) == tlm::TLM_COMMAND_ERROR_RESPONSE);
    CHECK(bank.guest_errors() == 1);
    a.go(bank, tlm::TLM_READ_COMMAND, 0x04);
    CHECK(a.data == 0x7);
}

TEST_CASE("writing ones clears W1C status bits and writing zeros leaves them") {
    RegisterBank bank("dev");
    bank.add("INT_STS", 0x08, 0, Access::w1c);
    bank["INT_STS"].set(0b1011);
    Access32 a;
    a.go(bank, tlm::TLM_WRITE_COMMAND, 0x08, 4, 0b0010);
    CHECK(bank["INT_STS"].value() == 0b1001);
    a.go(bank, tlm::TLM_WRITE_COMMAND, 0x08, 4, 0);
    CHECK(bank["INT_STS"].value() == 0b1001);
}

TEST_CASE("the field mask keeps reserved bits at zero") {
    RegisterBank bank("dev");
    bank.add("MODE", 0x0C, 0, Access::rw, 0x0000'00FF);
    Access32 a;
    a.go(bank, tlm::TLM_WRITE_COMMAND, 0x0C, 4, 0xFFFF'FFFF);
    CHECK(bank["MODE"].value() == 0xFF);
}

TEST_CASE("byte and halfword accesses reach their lanes of a 32-bit register") {
    RegisterBank bank("dev");
    bank.add("DATA", 0x10, 0x44332211);
    Access32 a;
    a.go(bank, tlm::TLM_READ_COMMAND, 0x12, 1);
    CHECK((a.data & 0xFF) == 0x33);
    a.go(bank, tlm::TLM_WRITE_COMMAND, 0x11, 2, 0xBBAA);
    CHECK(bank["DATA"].value() == 0x44BBAA11);
    CHECK(a.go(bank, tlm::TLM_READ_COMMAND, 0x13, 2) == tlm::TLM_BURST_ERROR_RESPONSE);  // crosses the register
}

TEST_CASE("an unmapped offset is a bus error and a guest error") {
    RegisterBank bank("dev");
    bank.add("CTRL", 0x00);
    Access32 a;
    CHECK(a.go(bank, tlm::TLM_READ_COMMAND, 0x40) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
    CHECK(bank.guest_errors() == 1);
}

TEST_CASE("write callbacks see old and new values, read callbacks compute the value") {
    RegisterBank bank("dev");
    std::uint32_t seen_old = 0, seen_new = 0;
    int reads = 0;
    bank.add("CMD", 0x00).on_write([&](std::uint32_t o, std::uint32_t n) { seen_old = o; seen_new = n; });
    bank.add("COUNT", 0x04, 0, Access::ro).on_read([&](bool debug) -> std::uint32_t {
        if (!debug) ++reads;
        return 42;
    });
    Access32 a;
    a.go(bank, tlm::TLM_WRITE_COMMAND, 0x00, 4, 5);
    CHECK(seen_old == 0);
    CHECK(seen_new == 5);
    a.go(bank, tlm::TLM_READ_COMMAND, 0x04);
    CHECK(a.data == 42);
    CHECK(reads == 1);
}

TEST_CASE("secure-only registers refuse normal-world initiators") {
    RegisterBank bank("dev");
    bank.add("KEY", 0x00, 0xABCD).secure_only();
    Access32 a;
    BusInitiator normal(1, "a7", World::normal, Privilege::privileged), secure(3, "sec", World::secure, Privilege::privileged);
    a.tx.set_extension(&normal);
    CHECK(a.go(bank, tlm::TLM_READ_COMMAND, 0x00) == tlm::TLM_COMMAND_ERROR_RESPONSE);
    a.tx.clear_extension(&normal);
    a.tx.set_extension(&secure);
    CHECK(a.go(bank, tlm::TLM_READ_COMMAND, 0x00) == tlm::TLM_OK_RESPONSE);
    CHECK(a.data == 0xABCD);
    a.tx.clear_extension(&secure);
}
