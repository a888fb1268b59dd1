// The command protocol between the app core and the security subsystem over their mailbox,
// shaped like Azure Sphere's Pluton remote API (reference §1.6): the caller writes a request
// into a shared SRAM buffer, pushes {command word, buffer address}; the subsystem answers in
// the same buffer and pushes {command word, status}.
//
// Command word: bits 0..7 command id, bits 8..23 sequence number, bits 24..31 protocol version.
// Buffer (2048 bytes, in the caller's SRAM): request  = u32 length | CBOR map
//                                           response = u32 status | u32 length | CBOR map
#pragma once

#include <cstdint>
#include <string_view>

namespace svp::secproto {

inline constexpr std::uint32_t kVersion = 2;         // Pluton remote API protocol version 2
inline constexpr std::uint32_t kBufferSize = 2048;   // Pluton's event buffers are 2048 bytes
inline constexpr std::uint32_t kMaxPayload = kBufferSize - 8;

// Ids follow Pluton's where one exists (pluton_remoteapi.h); ours start at 0x60.
enum Command : std::uint8_t {
    read_rng = 0x40,
    get_security_state = 0x41,
    process_attestation = 0x4C,
    sign_with_device_key = 0x4D,
    device_reset = 0x50,
    get_device_id = 0x60,
    verify_image = 0x61,
    stage_begin = 0x62,    // {stage, size} -> {slot}: erase the stage's inactive slot
    stage_write = 0x63,    // {offset, data} : program staged bytes (at most 1024 a call)
    stage_commit = 0x64,   // {} -> {verified, reason}: verify; install as pending or erase
    confirm_boot = 0x65,   // {} : the OS confirms the images it test-booted
    rollback_info = 0x66,  // {} -> per stage: confirmed, pending, booted slot, fuse counter
    // The OS's mutable storage (its "config" partition; Azure Sphere's SM ERASE/WRITE_FLASH):
    // offsets are inside that partition and nothing outside it can be named.
    storage_erase = 0x67,  // {offset} : erase the sector holding offset
    storage_write = 0x68,  // {offset, data} : program at most kMaxStorageWrite bytes
    // Proposed by the OS (issue 6), served once the subsystem programs the firewall: assign a
    // peripheral to a core at app start, then lock every assignment until reset.
    peripheral_assign = 0x69,  // {resource, core} -> ok | refused (locked, unknown resource)
    peripheral_lock = 0x6A,    // {}
    set_firewall_mapping = 0x6B,   // {region, owners: [initiator names]} : reassign before the lock
    lock_firewall_mapping = 0x6C,  // {} : lock every rule until reset
    advance_manufacturing_state = 0x6D,  // {to: "module-complete" | "device-complete"} -> {state, debug_locked}
};
inline constexpr std::uint32_t kMaxStorageWrite = 1024;
std::string_view command_name(std::uint32_t id);

enum Status : std::uint32_t {
    ok = 0,
    bad_request = 1,       // malformed or oversized request
    unknown_command = 2,
    not_ready = 3,         // identity not derived yet
    refused = 4,           // the request was well formed but a security check refused it
    busy = 5,              // queue full: try again
};
std::string_view status_name(std::uint32_t s);

inline constexpr std::uint32_t command_word(std::uint8_t id, std::uint16_t seq) {
    return kVersion << 24 | std::uint32_t{seq} << 8 | id;
}
inline constexpr std::uint8_t command_id(std::uint32_t word) { return word & 0xFF; }
inline constexpr std::uint16_t command_seq(std::uint32_t word) { return (word >> 8) & 0xFFFF; }
inline constexpr std::uint32_t command_version(std::uint32_t word) { return word >> 24; }

}  // namespace svp::secproto
