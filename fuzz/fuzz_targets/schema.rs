//! The schema SQL splitter and what restage reads from each block: any text gives blocks or an
//! error naming a line, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(schema) = restage::schema::split("fuzz.sql", text) {
        for id in schema.ids() {
            let Some(block) = schema.block(id) else {
                continue;
            };
            let _ = block.create_table();
            let _ = block.identity();
            let _ = block.sequence_increment();
            let _ = block.inherits();
            let _ = block.publication();
            let _ = block.routine_signature();
            let _ = block.ownership();
            let _ = block.attachment();
            let _ = block.nextval_default();
            let _ = block.inline_nextval_defaults();
            let _ = block.added_constraint();
            let _ = block.statement_texts();
        }
    }
});
