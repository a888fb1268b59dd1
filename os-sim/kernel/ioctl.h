// ioctl request numbers of this OS's device nodes. An argument is the caller's buffer; a
// scalar is its first byte(s), little-endian.
#pragma once

#include <cstdint>

namespace svp::os::ioctl {

// /dev/gpioN (Gpio capability)
inline constexpr std::uint32_t gpio_set_direction = 0x4701;  // arg[0]: 1 output, 0 input
inline constexpr std::uint32_t gpio_set_value = 0x4702;      // arg[0]: 0 or 1
inline constexpr std::uint32_t gpio_get_value = 0x4703;      // returns 0 or 1

// /dev/i2c-isuN (I2cMaster capability). arg: [address, write length, read length, write
// bytes..., room for the read bytes]; the read bytes come back in place. Returns the bytes
// moved; -ENXIO when the address is NAKed.
inline constexpr std::uint32_t i2c_write_then_read = 0x4901;
inline constexpr std::uint32_t i2c_set_speed = 0x4902;       // arg: u32 Hz (100000, 400000, 1000000)

// /dev/spi-isuN (SpiMaster capability). arg: [chip select, write length, read length, write
// bytes..., room for the read bytes]: one chip-select frame, half duplex.
inline constexpr std::uint32_t spi_write_then_read = 0x5401;
inline constexpr std::uint32_t spi_set_speed = 0x5402;       // arg: u32 Hz (the speed is at most that)

// /dev/adcN (Adc capability, ADC-CONTROLLER-N)
inline constexpr std::uint32_t adc_sample = 0x4101;          // arg[0]: channel; returns the 12-bit sample
inline constexpr std::uint32_t adc_set_reference = 0x4102;   // arg: u32 mV (1800 or 2500)

// /dev/pwmN (Pwm capability, PWM-CONTROLLER-N). arg: [channel, polarity (1: active low),
// enabled, u32 period ns, u32 duty ns]
inline constexpr std::uint32_t pwm_apply = 0x5701;

// /dev/pluton (any process may open it, as on Azure Sphere; each request is gated)
inline constexpr std::uint32_t pluton_read_rng = 0x5001;            // arg: out buffer (<= 1024 bytes)
inline constexpr std::uint32_t pluton_get_security_state = 0x5002;  // returns bit 0 secure boot, bit 1 debug locked
inline constexpr std::uint32_t pluton_sign_with_device_key = 0x5003; // arg: 32-byte digest in, 64-byte signature out;
                                                                    // needs DeviceAuthentication

// /dev/security-monitor (every request needs a kernel capability no app holds)
inline constexpr std::uint32_t sm_stage_begin = 0x5301;      // UPDATE_IMAGE
inline constexpr std::uint32_t sm_device_reset = 0x5302;     // UPDATE_IMAGE
inline constexpr std::uint32_t sm_rollback_info = 0x5303;    // QUERY_IMAGE_INFO
inline constexpr std::uint32_t sm_attestation = 0x5304;      // ATTESTATION_RUNTIME
inline constexpr std::uint32_t sm_storage_write = 0x5305;    // SFS

}  // namespace svp::os::ioctl
