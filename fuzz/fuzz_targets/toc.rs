//! The listing parser: any bytes give entries or an error naming a line, never a panic; and
//! printing reads the same listing as parsing does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use restage::toc::{Format, Listing, Printout};

fuzz_target!(|bytes: &[u8]| {
    let parsed = restage::toc::parse("fuzz.list", bytes);
    let listing = Listing::new("fuzz.list", bytes);
    for format in [Format::Text, Format::Json] {
        let printout = Printout::new(&listing, format);
        assert_eq!(parsed.is_ok(), printout.is_ok());
        if let Ok(printout) = printout {
            printout.write(&mut std::io::sink()).expect("a sink takes everything");
        }
    }
});
