//! What identifies a plan, and the sha256 of what restage reads and writes. Imports nothing of
//! restage: the readers hash their inputs with it, compile stamps the digest on every script.

use sha2::{Digest, Sha256};

/// What a compile reads, exactly as read.
pub(crate) struct Inputs<'a> {
    pub plan: &'a [u8],
    pub listing: &'a [u8],
    pub schema: &'a [u8],
    /// The templates `--templates` put in place of built-in ones, by name, with their text:
    /// two template sets give two digests.
    pub templates: &'a [(String, String)],
}

/// What identifies a plan: the plan file, the listing and the schema SQL exactly as read, the
/// templates that replace built-in ones, and the restage version that compiles them. Every
/// script after staging checks it, so artifacts of two plans, or of two versions of one plan,
/// are never mixed.
pub(crate) fn plan_digest(inputs: &Inputs) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"restage plan digest v1\0");
    let mut part = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    part(env!("CARGO_PKG_VERSION").as_bytes());
    part(inputs.plan);
    part(inputs.listing);
    part(inputs.schema);
    // Only when there are any: with the built-in templates the digest is what it always was.
    for (name, text) in inputs.templates {
        part(name.as_bytes());
        part(text.as_bytes());
    }
    hex(&hasher.finalize())
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_in_place_of_built_in_ones_change_the_digest() {
        let inputs = |templates| Inputs {
            plan: b"plan",
            listing: b"listing",
            schema: b"schema",
            templates,
        };
        let built_in = plan_digest(&inputs(&[]));
        let mine = [("50-cutover.sql".to_owned(), "mine".to_owned())];
        let theirs = [("50-cutover.sql".to_owned(), "theirs".to_owned())];
        assert_ne!(built_in, plan_digest(&inputs(&mine)));
        assert_ne!(plan_digest(&inputs(&mine)), plan_digest(&inputs(&theirs)));
        assert_eq!(built_in, plan_digest(&inputs(&[])));
    }
}
