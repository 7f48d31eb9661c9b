//! The plan reader: any text gives a plan or problems at places inside the text, never a
//! panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let (_, problems) = restage::plan::read_partial(std::path::Path::new("plan.yaml"), text);
    for problem in &problems {
        let end = problem.span.offset() + problem.span.len();
        assert!(end <= text.len(), "a problem outside the plan: {problem:?}");
    }
});
