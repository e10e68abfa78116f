//! Fuzzes the QTI item reader: any bytes, read as (lossy) UTF-8, must give an item or issues,
//! never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ruji_import::qti::{is_qti, parse_item};
use ruji_import::sanitize::Ctx;

fuzz_target!(|data: &[u8]| {
    let xml = String::from_utf8_lossy(data);
    let _ = is_qti(&xml);
    let ctx = Ctx::standalone();
    let _ = parse_item(&ctx, "soal/item.xml", &xml);
    let _ = ctx.finish();
});
