//! The listing parser: any bytes give entries or an error naming a line, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(toc) = restage::toc::parse("fuzz.list", bytes) {
        let _ = restage::toc::to_text(&toc);
        let _ = restage::toc::to_json(&toc);
    }
});
