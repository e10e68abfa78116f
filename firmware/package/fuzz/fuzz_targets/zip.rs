//! Any bytes given as a package: reading the zip within limits and verifying it must never
//! panic, whatever the entries, names, sizes or signature claim.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ruji_package::safezip::read(data, &ruji_package::safezip::Limits::default());
    let _ = ruji_package::verify(
        data,
        &["ruji-pk:h95iXybcEfN9gs3rRTDv6x6RtbJIUg+ZyvlPR9m33TI=".to_string()],
    );
});
