//! remap: any stream is passed, rewritten or refused with an error, never a panic. What it
//! passes is stable: renaming back and forth gives the same stream again, so rows went through
//! byte for byte and only COPY targets changed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use restage::remap::{Mapping, remap};
use restage::sql::QualifiedName;

fn mapping(from: QualifiedName, to: QualifiedName) -> Mapping {
    let mut mapping = Mapping::new();
    mapping.insert(from, to);
    mapping
}

fuzz_target!(|bytes: &[u8]| {
    let production = QualifiedName::new("public", "reading");
    let staging = QualifiedName::new("restore_staging__public", "reading");
    let forth = mapping(production.clone(), staging.clone());
    let back = mapping(staging, production);
    let mut staged = Vec::new();
    if remap(bytes, &mut staged, &forth).is_err() {
        return;
    }
    let mut returned = Vec::new();
    remap(staged.as_slice(), &mut returned, &back).expect("what remap wrote, renamed back");
    let mut again = Vec::new();
    remap(returned.as_slice(), &mut again, &forth).expect("renamed back, renamed again");
    assert_eq!(again, staged, "renaming back and forth changed the stream");
});
