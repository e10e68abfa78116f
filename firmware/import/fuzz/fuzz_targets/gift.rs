//! Fuzzes the GIFT importer: any bytes, read as (lossy) UTF-8, must give items or issues, never
//! a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ruji_import::gift;
use ruji_import::sanitize::Ctx;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let ctx = Ctx::standalone();
    let _ = gift::parse(&ctx, "soal/bank.gift", &text);
    let _ = ctx.finish();
});
